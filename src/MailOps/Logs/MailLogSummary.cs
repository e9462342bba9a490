namespace MailOps.Logs;

/// <summary>
/// What pflogsumm reports, as one object (built by <see cref="MailLogSummaryBuilder"/>, which counts as pflogsumm 1.1.5
/// counts, so the grand totals are equal on the same log).
/// </summary>
public sealed class MailLogSummary
{
    /// <summary>The first line's time, or null for an empty log.</summary>
    public DateTimeOffset? First { get; init; }
    /// <summary>The last line's time.</summary>
    public DateTimeOffset? Last { get; init; }
    /// <summary>Messages received (smtpd <c>client=</c> and pickup lines).</summary>
    public long Received { get; init; }
    /// <summary>Recipients delivered (<c>status=sent</c>, not forwarded).</summary>
    public long Delivered { get; init; }
    /// <summary>Recipients forwarded by local(8) (<c>status=sent (forwarded as ...)</c>).</summary>
    public long Forwarded { get; init; }
    /// <summary>Messages deferred at least once.</summary>
    public long Deferred { get; init; }
    /// <summary>Deferral lines (every attempt counts).</summary>
    public long Deferrals { get; init; }
    /// <summary>Recipients bounced.</summary>
    public long Bounced { get; init; }
    /// <summary>Rejects (smtpd and cleanup).</summary>
    public long Rejected { get; init; }
    /// <summary>Reject warnings (<c>reject_warning</c>, cleanup <c>warning</c>).</summary>
    public long RejectWarnings { get; init; }
    /// <summary>Messages put on hold.</summary>
    public long Held { get; init; }
    /// <summary>Messages discarded.</summary>
    public long Discarded { get; init; }
    /// <summary>Bytes of the messages received.</summary>
    public long BytesReceived { get; init; }
    /// <summary>Bytes delivered (each delivered recipient counts its message's size).</summary>
    public long BytesDelivered { get; init; }
    /// <summary>Distinct senders of received messages.</summary>
    public int SenderCount { get; init; }
    /// <summary>Distinct sending domains (the client's domain for a sender without one).</summary>
    public int SendingDomainCount { get; init; }
    /// <summary>Distinct recipients delivered to.</summary>
    public int RecipientCount { get; init; }
    /// <summary>Distinct recipient domains delivered to.</summary>
    public int RecipientDomainCount { get; init; }
    /// <summary>smtpd sessions seen from connect to disconnect (pflogsumm's <c>--smtpd-stats</c> "connections").</summary>
    public long SmtpConnections { get; init; }
    /// <summary>Distinct client hosts/domains of those sessions.</summary>
    public int SmtpConnectionHosts { get; init; }
    /// <summary>Messages received from SASL-authenticated clients.</summary>
    public long SaslLogins { get; init; }
    /// <summary>Dovecot IMAP/POP3 logins.</summary>
    public long DovecotLogins { get; init; }
    /// <summary>Dovecot login attempts that failed (<c>auth failed</c>).</summary>
    public long DovecotLoginFailures { get; init; }
    /// <summary>Traffic per hour of the day, 24 rows.</summary>
    public IReadOnlyList<MailLogHourTraffic> PerHour { get; init; } = [];
    /// <summary>Senders by message count (then size).</summary>
    public IReadOnlyList<MailLogTally> Senders { get; init; } = [];
    /// <summary>Recipients by message count.</summary>
    public IReadOnlyList<MailLogTally> Recipients { get; init; } = [];
    /// <summary>Sending domains by message count.</summary>
    public IReadOnlyList<MailLogTally> SendingDomains { get; init; } = [];
    /// <summary>Recipient domains by message count.</summary>
    public IReadOnlyList<MailLogTally> RecipientDomains { get; init; } = [];
    /// <summary>SASL users by messages sent.</summary>
    public IReadOnlyList<MailLogTally> SaslUsers { get; init; } = [];
    /// <summary>Rejects, reject warnings, holds and discards by type and reason.</summary>
    public IReadOnlyList<MailLogReasonTally> Rejects { get; init; } = [];
    /// <summary>Deferrals by program and reason.</summary>
    public IReadOnlyList<MailLogReasonTally> DeferralReasons { get; init; } = [];
    /// <summary>Bounces by relay and reason.</summary>
    public IReadOnlyList<MailLogReasonTally> BounceReasons { get; init; } = [];
    /// <summary>Warnings, errors, fatal errors and panics by program and text.</summary>
    public IReadOnlyList<MailLogReasonTally> Warnings { get; init; } = [];
}
