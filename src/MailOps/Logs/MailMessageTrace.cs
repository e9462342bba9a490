namespace MailOps.Logs;

/// <summary>One message followed through the logs: every queue id on every host it passed, and each recipient's fate.</summary>
public sealed class MailMessageTrace
{
    /// <summary>The Message-ID, or null when no cleanup line was found.</summary>
    public string? MessageId { get; init; }
    /// <summary>The envelope sender (empty for &lt;&gt;), or null when no qmgr line was found.</summary>
    public string? Sender { get; init; }
    /// <summary>The size at the first hop, in bytes.</summary>
    public long? Size { get; init; }
    /// <summary>The hops in order of arrival.</summary>
    public IReadOnlyList<MailTraceHop> Hops { get; init; } = [];
    /// <summary>Each recipient's final result.</summary>
    public IReadOnlyList<MailTraceRecipient> Recipients { get; init; } = [];
    /// <summary>Queue ids of the non-delivery (or delay) notifications sent about it.</summary>
    public IReadOnlyList<string> Notifications { get; init; } = [];
    /// <summary>When the first hop first logged it.</summary>
    public DateTimeOffset FirstSeen { get; init; }
    /// <summary>When the last recipient's last result was logged.</summary>
    public DateTimeOffset LastSeen { get; init; }
    /// <summary>From arrival at the first hop to the last recipient's last result.</summary>
    public TimeSpan TotalDelay => LastSeen - FirstSeen;
    /// <summary>
    /// Deferred while any recipient's last result is deferral, else Bounced if any bounced (or Expired), else Sent when
    /// every recipient was delivered; Unknown with no delivery lines.
    /// </summary>
    public MailLogDeliveryStatus Status { get; init; }
    /// <summary>The queue ids, first hop first (for display).</summary>
    public string QueueIds => string.Join(" -> ", Hops.Select(h => h.QueueId is null ? h.Programs.FirstOrDefault() ?? "" : $"{h.HostName}:{h.QueueId}"));
}
