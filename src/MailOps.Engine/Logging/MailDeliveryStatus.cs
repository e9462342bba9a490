namespace MailOps.Engine.Logging;

/// <summary>The outcome of one delivery attempt, as Postfix's <c>status=</c> field names it.</summary>
public enum MailDeliveryStatus
{
    /// <summary><c>status=sent</c>: the recipient's mailbox (or next hop) took the message.</summary>
    Sent,
    /// <summary><c>status=deferred</c>: a temporary failure; the message stays queued and is tried again.</summary>
    Deferred,
    /// <summary><c>status=bounced</c>: a permanent failure; the sender gets a non-delivery notification.</summary>
    Bounced,
}
