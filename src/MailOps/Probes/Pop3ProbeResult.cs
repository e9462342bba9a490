namespace MailOps.Probes;

/// <summary>What a POP3 probe learned: the common fields and, after a login, the maildrop's size (RFC 1939 5 STAT).</summary>
public sealed class Pop3ProbeResult : MailAccessProbeResult
{
    /// <summary>Messages in the maildrop, or null without a login.</summary>
    public int? MessageCount { get; set; }
    /// <summary>The maildrop's size in octets, or null without a login.</summary>
    public long? MaildropSize { get; set; }
}
