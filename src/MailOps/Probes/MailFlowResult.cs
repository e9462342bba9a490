using MailOps.Authentication;

namespace MailOps.Probes;

/// <summary>What a mail-flow test saw: whether the marked message came back, how long it took, and the headers collected on the way.</summary>
public sealed class MailFlowResult
{
    /// <summary>The unique value of the X-MailOps-Flow header that marks the test message.</summary>
    public string Marker { get; init; } = "";
    /// <summary>The test message's Message-ID.</summary>
    public string MessageId { get; init; } = "";
    /// <summary>The SMTP server sent through.</summary>
    public string SmtpServer { get; init; } = "";
    /// <summary>The mailbox server fetched from.</summary>
    public string MailboxServer { get; init; } = "";
    /// <summary>IMAP or POP3.</summary>
    public MailFetchProtocol Protocol { get; init; }
    /// <summary>Success, or what went wrong.</summary>
    public MailFlowOutcome Result { get; set; }
    /// <summary>Result is Success.</summary>
    public bool Succeeded => Result == MailFlowOutcome.Success;
    /// <summary>Why it failed, or null.</summary>
    public string? Error { get; set; }
    /// <summary>The SMTP session that sent the message.</summary>
    public SmtpProbeResult? Send { get; set; }
    /// <summary>The queue ID the SMTP server gave.</summary>
    public string? QueueId => Send?.QueueId;
    /// <summary>When the probe started sending.</summary>
    public DateTimeOffset SentAt { get; set; }
    /// <summary>When the message was found in the mailbox, or null.</summary>
    public DateTimeOffset? ReceivedAt { get; set; }
    /// <summary>From the start of sending to finding the message (at most one poll interval late), or null.</summary>
    public TimeSpan? Latency => ReceivedAt - SentAt;
    /// <summary>The Received: header fields, newest first as they stand in the message (RFC 5321 4.4).</summary>
    public IReadOnlyList<string> ReceivedChain { get; set; } = [];
    /// <summary>The number of Received: fields: the hops the message took.</summary>
    public int Hops => ReceivedChain.Count;
    /// <summary>The Authentication-Results: header fields (RFC 8601), newest first.</summary>
    public IReadOnlyList<string> AuthenticationResults { get; set; } = [];
    /// <summary>The message arrived with at least one DKIM-Signature.</summary>
    public bool DkimSignaturePresent { get; set; }
    /// <summary>The verdict on each DKIM-Signature; empty when unsigned or not verified.</summary>
    public IReadOnlyList<DkimVerdict> Dkim { get; set; } = [];
    /// <summary>True when every signature verified, false when one did not, null when unsigned or not verified (no resolver).</summary>
    public bool? DkimValid => Dkim.Count == 0 ? null : Dkim.All(d => d.Result == "pass");

    /// <inheritdoc />
    public override string ToString() => $"{SmtpServer} -> {MailboxServer} ({Protocol}): {Result}{(Latency is { } l ? $" in {l.TotalSeconds:0.00} s" : "")}";
}
