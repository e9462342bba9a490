namespace MailOps.Logs;

/// <summary>One queue a traced message passed through (a Postfix queue id on one host), or Dovecot storing it.</summary>
public sealed class MailTraceHop
{
    /// <summary>The host name in the log lines.</summary>
    public string? HostName { get; init; }
    /// <summary>The machine whose log it was read from.</summary>
    public string? ComputerName { get; init; }
    /// <summary>The queue id on that host, or null for Dovecot.</summary>
    public string? QueueId { get; init; }
    /// <summary>The client that handed the message over, <c>name[addr]</c>, <c>pickup</c>, or null.</summary>
    public string? Client { get; init; }
    /// <summary>The programs that logged it, in order: smtpd, cleanup, qmgr, smtp, ... or lmtp.</summary>
    public IReadOnlyList<string> Programs { get; init; } = [];
    /// <summary>The first line about it.</summary>
    public DateTimeOffset Arrived { get; init; }
    /// <summary>The last line about it (qmgr's <c>removed</c> when it finished).</summary>
    public DateTimeOffset Left { get; init; }
    /// <summary>True when the log says the queue file was removed (every recipient done).</summary>
    public bool Removed { get; init; }
    /// <summary>Every line about it, in order.</summary>
    public IReadOnlyList<MailLogEntry> Entries { get; init; } = [];
}
