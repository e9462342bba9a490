using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;

namespace MailOps.Probes;

/// <summary>What an IMAP or POP3 probe does.</summary>
public sealed class MailAccessProbeOptions
{
    /// <summary>The server's host name or address; the certificate is compared with it.</summary>
    public required string Host { get; init; }
    /// <summary>The TCP port; 0 for the protocol's default (IMAP 143/993, POP3 110/995).</summary>
    public int Port { get; init; }
    /// <summary>Connect to this address instead of resolving <see cref="Host"/>.</summary>
    public IPAddress? Address { get; init; }
    /// <summary>How TLS is used.</summary>
    public MailTlsMode Tls { get; init; } = MailTlsMode.Auto;
    /// <summary>Credentials for the login test, or null for none.</summary>
    public NetworkCredential? Credential { get; init; }
    /// <summary>How long to wait for the connection and for each reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Go on when the certificate is not trusted or does not name the host.</summary>
    public bool SkipCertificateCheck { get; init; }
    /// <summary>Roots to trust instead of the system store, or null.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }
    /// <summary>The resolver for the host's address and its DANE TLSA records, or null for the system resolver and no DANE check.</summary>
    public MailDnsResolver? Resolver { get; init; }
}
