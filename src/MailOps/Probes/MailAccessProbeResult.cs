using System.Net;

namespace MailOps.Probes;

/// <summary>What an IMAP or POP3 probe learned about one server.</summary>
public class MailAccessProbeResult
{
    /// <summary>The server's name as probed.</summary>
    public string Server { get; init; } = "";
    /// <summary>The address connected to.</summary>
    public IPAddress? Address { get; set; }
    /// <summary>The TCP port.</summary>
    public int Port { get; init; }
    /// <summary>Success, or the stage that failed.</summary>
    public MailAccessProbeOutcome Result { get; set; }
    /// <summary>Result is Success.</summary>
    public bool Succeeded => Result == MailAccessProbeOutcome.Success;
    /// <summary>Why the probe failed, or null.</summary>
    public string? Error { get; set; }
    /// <summary>The greeting line.</summary>
    public string? Banner { get; set; }
    /// <summary>The capabilities announced in plain text (empty with implicit TLS).</summary>
    public IReadOnlyList<string> CapabilitiesBeforeTls { get; set; } = [];
    /// <summary>The capabilities in effect at the end: inside TLS when TLS was used.</summary>
    public IReadOnlyList<string> Capabilities { get; set; } = [];
    /// <summary>How TLS was used: None, StartTls or Implicit.</summary>
    public MailTlsMode TlsMode { get; set; } = MailTlsMode.None;
    /// <summary>The TLS handshake's details, or null.</summary>
    public MailTlsDetails? Tls { get; set; }
    /// <summary>True when the login succeeded, false when refused, null when not tried.</summary>
    public bool? LoginSucceeded { get; set; }
    /// <summary>The server's answer to the login.</summary>
    public string? LoginReply { get; set; }
    /// <summary>How long each stage took.</summary>
    public List<ProbeStageTiming> Timings { get; } = [];
    /// <summary>Every line sent and received, with time and TLS flag; passwords masked.</summary>
    public IReadOnlyList<ProbeTranscriptLine> Transcript { get; set; } = [];

    /// <inheritdoc />
    public override string ToString() => $"{Server} [{Address}]:{Port} {Result}";
}
