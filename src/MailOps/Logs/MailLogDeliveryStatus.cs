namespace MailOps.Logs;

/// <summary>The outcome of one delivery attempt, Postfix's <c>status=</c> field.</summary>
public enum MailLogDeliveryStatus
{
    /// <summary>Another value (a newer Postfix's, or a line cut short).</summary>
    Unknown,
    /// <summary><c>status=sent</c>: the mailbox or next hop took the message (or a local alias forwarded it).</summary>
    Sent,
    /// <summary><c>status=deferred</c>: a temporary failure; the message stays queued.</summary>
    Deferred,
    /// <summary><c>status=bounced</c>: a permanent failure; the sender is notified.</summary>
    Bounced,
    /// <summary><c>status=expired</c>: maximal_queue_lifetime passed; returned to the sender.</summary>
    Expired,
}
