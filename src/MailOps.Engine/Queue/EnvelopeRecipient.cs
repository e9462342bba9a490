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

    /// <summary>When delivery handed this recipient's copy to the mailbox store (status <see cref="RecipientStatus.Delivering"/>).</summary>
    public DateTimeOffset? DeliveringSince { get; set; }
}
