namespace MailOps.Logs;

/// <summary>
/// qmgr: <c>QUEUEID: from=&lt;s&gt;, size=N, nrcpt=N (queue active)</c> (<see cref="MailLogEventKind.Queued"/>), or
/// <c>QUEUEID: from=&lt;s&gt;, status=expired, returned to sender</c> (<see cref="MailLogEventKind.Expired"/>).
/// </summary>
public sealed class MailLogQueueEntry : MailLogEntry
{
    /// <summary>The envelope sender, empty for the null sender <c>&lt;&gt;</c>.</summary>
    public string Sender { get; init; } = "";

    /// <summary>The message size in bytes (the queue file's content size), or null on an expired line.</summary>
    public long? Size { get; init; }

    /// <summary>The number of recipients, or null on an expired line.</summary>
    public int? RecipientCount { get; init; }
}
