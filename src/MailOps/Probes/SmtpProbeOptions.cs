using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;

namespace MailOps.Probes;

/// <summary>What an SMTP probe does: where it connects, how far it goes and what it sends.</summary>
public sealed class SmtpProbeOptions
{
    /// <summary>The server's host name or address; the certificate is compared with it.</summary>
    public required string Host { get; init; }
    /// <summary>The TCP port (25, 587, 465...).</summary>
    public int Port { get; init; } = 25;
    /// <summary>Connect to this address instead of resolving <see cref="Host"/> (set for each MX address).</summary>
    public IPAddress? Address { get; init; }
    /// <summary>How TLS is used.</summary>
    public MailTlsMode Tls { get; init; } = MailTlsMode.Auto;
    /// <summary>The name sent with EHLO.</summary>
    public string EhloName { get; init; } = "probe.mailops.invalid";
    /// <summary>Credentials for AUTH, or null for none.</summary>
    public NetworkCredential? Credential { get; init; }
    /// <summary>The SASL mechanism to use (PLAIN, LOGIN); the strongest offered one when null.</summary>
    public string? AuthMechanism { get; init; }
    /// <summary>The envelope sender; null for the default probe address, empty for the null reverse path.</summary>
    public string? From { get; init; }
    /// <summary>The envelope recipients.</summary>
    public IReadOnlyList<string> To { get; init; } = [];
    /// <summary>Send a message (DATA or BDAT) after RCPT.</summary>
    public bool Send { get; init; }
    /// <summary>The message's subject; a default naming the probe when null.</summary>
    public string? Subject { get; init; }
    /// <summary>The message's text body; a default when null.</summary>
    public string? Body { get; init; }
    /// <summary>Files to attach.</summary>
    public IReadOnlyList<string> Attachments { get; init; } = [];
    /// <summary>Extra header fields (name, value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    /// <summary>A message to send as it is instead of building one.</summary>
    public MimeKit.MimeMessage? Message { get; init; }
    /// <summary>Stop with QUIT after this stage; null to go as far as the other options ask.</summary>
    public SmtpProbeStage? QuitAfter { get; init; }
    /// <summary>Run the open-relay test (before AUTH).</summary>
    public bool TestRelay { get; init; }
    /// <summary>The outside domain the relay test tries to reach.</summary>
    public string RelayDomain { get; init; } = "example.net";
    /// <summary>Check, on a second connection, whether plain text pipelined after STARTTLS is answered inside TLS (CVE-2011-0411).</summary>
    public bool TestStartTlsInjection { get; init; }
    /// <summary>How long to wait for the connection and for each reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Go on when the certificate is not trusted or does not name the host; the TLS details still tell.</summary>
    public bool SkipCertificateCheck { get; init; }
    /// <summary>Roots to trust instead of the system store, or null.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }
    /// <summary>The resolver for MX, DANE TLSA and MTA-STS lookups; null for no DNS checks.</summary>
    public MailDnsResolver? Resolver { get; init; }
    /// <summary>The mail domain whose MTA-STS policy the host is compared with, or null.</summary>
    public string? Domain { get; init; }
    /// <summary>TCP port of the MTA-STS policy host (443; tests change it).</summary>
    public int MtaStsPort { get; init; } = 443;
    /// <summary>Roots for the MTA-STS policy host's certificate, or null for the system store.</summary>
    public X509Certificate2Collection? MtaStsTrustedRoots { get; init; }
}
