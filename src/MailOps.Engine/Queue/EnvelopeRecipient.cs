namespace MailOps.Engine.Queue;

/// <summary>One RCPT TO of a queued message, with its DSN parameters and its delivery status.</summary>
public sealed class EnvelopeRecipient
{
    /// <summary>The recipient address as given in RCPT TO.</summary>
    public string Address { get; set; } = "";

    /// <summary>The DSN NOTIFY parameter (RFC 3461 4.1), e.g. "SUCCESS,FAILURE"; null when not given.</summary>
    public string? Notify { get; set; }

    /// <summary>The DSN ORCPT parameter (RFC 3461 4.2) as given, e.g. "rfc822;user@example.org"; null when not given.</summary>
    public string? OriginalRecipient { get; set; }

    /// <summary>Delivery status of this recipient.</summary>
    public RecipientStatus Status { get; set; } = RecipientStatus.Pending;

    /// <summary>The last delivery response (for deferred or bounced recipients); null when none yet.</summary>
    public string? LastResponse { get; set; }

    /// <summary>The server that gave the last response, as a DSN's Remote-MTA (RFC 3464 2.3.5), e.g. "mx.example.org"; null for local delivery.</summary>
    public string? RemoteMta { get; set; }

    /// <summary>The remote server's reply, as a DSN's Diagnostic-Code (RFC 3464 2.3.6) without its "smtp;" type; null when there was none.</summary>
    public string? Diagnostic { get; set; }

    /// <summary>When delivery handed this recipient's copy to the mailbox store (status <see cref="RecipientStatus.Delivering"/>).</summary>
    public DateTimeOffset? DeliveringSince { get; set; }
}
