namespace MailOps.Logs;

/// <summary>The fate of one recipient of a traced message: the last word any hop's log had about it.</summary>
public sealed class MailTraceRecipient
{
    /// <summary>The recipient address.</summary>
    public string Recipient { get; set; } = "";
    /// <summary>The address the sender used when an alias changed it, or null.</summary>
    public string? OriginalRecipient { get; set; }
    /// <summary>The final result.</summary>
    public MailLogDeliveryStatus Status { get; set; }
    /// <summary>The host whose log holds that result.</summary>
    public string? HostName { get; set; }
    /// <summary>The queue id of that result.</summary>
    public string? QueueId { get; set; }
    /// <summary>Where the last attempt went (relay= field), or <c>dovecot</c> once Dovecot saved it.</summary>
    public string? Relay { get; set; }
    /// <summary>The enhanced status code of the last attempt.</summary>
    public string? Dsn { get; set; }
    /// <summary>The reply or reason of the last attempt.</summary>
    public string? Reason { get; set; }
    /// <summary>The Dovecot mailbox it was saved to, when a Dovecot log shows it.</summary>
    public string? Mailbox { get; set; }
    /// <summary>Delivery attempts logged for it, on all hops.</summary>
    public int Attempts { get; set; }
    /// <summary>When the last result was logged.</summary>
    public DateTimeOffset Time { get; set; }
}
