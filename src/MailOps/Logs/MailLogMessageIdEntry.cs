namespace MailOps.Logs;

/// <summary>cleanup: <c>QUEUEID: message-id=&lt;id&gt;</c>, how a message is followed from one queue id (and host) to the next.</summary>
public sealed class MailLogMessageIdEntry : MailLogEntry
{
    /// <summary>The Message-ID with its angle brackets as logged (<c>&lt;&gt;</c> when the message has none).</summary>
    public string MessageId { get; init; } = "";
}
