using System.Net;

namespace MailOps.Probes;

/// <summary>Everything an SMTP probe learned about one server address.</summary>
public sealed class SmtpProbeResult
{
    /// <summary>The server's name as probed (the MX host with <c>-Mx</c>).</summary>
    public string Server { get; init; } = "";
    /// <summary>The mail domain whose MX this server is, or null.</summary>
    public string? Domain { get; init; }
    /// <summary>The address connected to.</summary>
    public IPAddress? Address { get; set; }
    /// <summary>The TCP port.</summary>
    public int Port { get; init; }
    /// <summary>Success, or the stage that failed (swaks exit codes).</summary>
    public SmtpProbeOutcome Result { get; set; }
    /// <summary>The last stage the probe completed.</summary>
    public SmtpProbeStage? LastStage { get; set; }
    /// <summary>Result is Success.</summary>
    public bool Succeeded => Result == SmtpProbeOutcome.Success;
    /// <summary>The server refused service for load (a 421 greeting or reply, a connection limit): not a statement about its features.</summary>
    public bool RateLimited => Result == SmtpProbeOutcome.RateLimited;
    /// <summary>Why the probe failed, or null.</summary>
    public string? Error { get; set; }
    /// <summary>The 220 greeting text.</summary>
    public string? Banner { get; set; }
    /// <summary>The EHLO reply in effect at the end: after STARTTLS when TLS was started.</summary>
    public SmtpEhlo? Ehlo { get; set; }
    /// <summary>The EHLO reply before STARTTLS, or null when TLS was not started with STARTTLS.</summary>
    public SmtpEhlo? EhloBeforeTls { get; set; }
    /// <summary>AUTH mechanisms offered in plain text.</summary>
    public IReadOnlyList<string> AuthBeforeTls => (EhloBeforeTls ?? (Tls is null ? Ehlo : null))?.AuthMechanisms ?? [];
    /// <summary>AUTH mechanisms offered inside TLS.</summary>
    public IReadOnlyList<string> AuthAfterTls => Tls is null ? [] : Ehlo?.AuthMechanisms ?? [];
    /// <summary>How TLS was used: None, StartTls or Implicit.</summary>
    public MailTlsMode TlsMode { get; set; } = MailTlsMode.None;
    /// <summary>The TLS handshake's details, or null when TLS was not used.</summary>
    public MailTlsDetails? Tls { get; set; }
    /// <summary>How AUTH went, or null.</summary>
    public SmtpAuthResult? Auth { get; set; }
    /// <summary>Recipients accepted with 2xx.</summary>
    public IReadOnlyList<string> AcceptedRecipients { get; set; } = [];
    /// <summary>The queue ID from the server's 250 reply to the message, or null.</summary>
    public string? QueueId { get; set; }
    /// <summary>The message sent, as built (Message-ID, headers), or null.</summary>
    public string? MessageId { get; set; }
    /// <summary>The message went with BDAT (RFC 3030).</summary>
    public bool UsedChunking { get; set; }
    /// <summary>MAIL FROM carried SMTPUTF8 (RFC 6531).</summary>
    public bool UsedSmtpUtf8 { get; set; }
    /// <summary>Every command and reply, per stage.</summary>
    public List<SmtpStageReply> Replies { get; } = [];
    /// <summary>How long each stage took.</summary>
    public List<ProbeStageTiming> Timings { get; } = [];
    /// <summary>Every line sent and received, with time and TLS flag; credentials masked.</summary>
    public IReadOnlyList<ProbeTranscriptLine> Transcript { get; set; } = [];
    /// <summary>The open-relay test, or null when not run.</summary>
    public SmtpRelayTest? Relay { get; set; }
    /// <summary>
    /// True when plain text pipelined after STARTTLS was answered inside TLS (CVE-2011-0411), false when it was not,
    /// null when not tested.
    /// </summary>
    public bool? StartTlsInjection { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Server} [{Address}]:{Port} {Result}";
}
