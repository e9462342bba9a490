namespace MailOps.Logs;

/// <summary>
/// A delivery agent's result for one recipient (smtp, lmtp, local, virtual, pipe, error, the bundled server's agents):
/// <c>QUEUEID: to=&lt;r&gt;, orig_to=&lt;o&gt;, relay=R, delay=D, delays=a/b/c/d, dsn=X.Y.Z, status=S (reason)</c>.
/// </summary>
public sealed class MailLogDeliveryEntry : MailLogEntry
{
    /// <summary>The recipient (after alias expansion).</summary>
    public string Recipient { get; init; } = "";

    /// <summary>The address as the client gave it, when an alias or map changed it; else null.</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>Where it went: <c>host[addr]:port</c>, <c>virtual</c>, <c>local</c>, <c>none</c>, <c>private/dovecot-lmtp</c>.</summary>
    public string Relay { get; init; } = "";

    /// <summary>Postfix's <c>delay=</c>: seconds from arrival until this attempt ended.</summary>
    public double? Delay { get; init; }

    /// <summary>Postfix's <c>delays=a/b/c/d</c> text (before qmgr, in qmgr, connection set-up, transmission).</summary>
    public string? Delays { get; init; }

    /// <summary>The RFC 3463 enhanced status code, e.g. <c>2.0.0</c>, <c>4.4.1</c>, <c>5.1.1</c>.</summary>
    public string? Dsn { get; init; }

    /// <summary>What happened.</summary>
    public MailLogDeliveryStatus Status { get; init; }

    /// <summary>The text in parentheses after the status: the remote reply, <c>delivered to maildir</c>, the deferral reason.</summary>
    public string Reason { get; init; } = "";

    /// <summary>When the reply names the next hop's queue id (<c>250 2.0.0 Ok: queued as ID</c>) or local forwarded it (<c>forwarded as ID</c>): that id; else null.</summary>
    public string? NextQueueId { get; init; }

    /// <summary>True for <c>status=sent (forwarded as ID)</c>: local(8) sent the message on under a new queue id (pflogsumm's "forwarded").</summary>
    public bool Forwarded { get; init; }
}
