using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MailOps.Probes;

/// <summary>
/// What a TLS handshake with a mail server showed: protocol, cipher suite, the certificate and whether it is trusted,
/// names the host, and matches the domain's DANE TLSA records and MTA-STS policy. Shared by the SMTP, IMAP and POP3 probes.
/// </summary>
public sealed class MailTlsDetails
{
    /// <summary>The negotiated protocol, e.g. Tls13.</summary>
    public SslProtocols Protocol { get; init; }
    /// <summary>The negotiated cipher suite, e.g. TLS_AES_256_GCM_SHA384.</summary>
    public string CipherSuite { get; init; } = "";
    /// <summary>The key exchange: ECDHE, DHE or RSA, read from the cipher suite (TLS 1.3 always uses (EC)DHE, RFC 8446 2).</summary>
    public string KeyExchange { get; init; } = "";
    /// <summary>The server certificate's subject.</summary>
    public string CertificateSubject { get; init; } = "";
    /// <summary>The DNS names and IP addresses in the certificate's subjectAltName.</summary>
    public IReadOnlyList<string> SubjectAlternativeNames { get; init; } = [];
    /// <summary>The certificate's issuer.</summary>
    public string Issuer { get; init; } = "";
    /// <summary>The certificate is not valid after this time (UTC).</summary>
    public DateTime NotAfter { get; init; }
    /// <summary>Whole days until <see cref="NotAfter"/>; negative when expired.</summary>
    public int DaysLeft { get; init; }
    /// <summary>The chain builds to a trusted root and every certificate is in its validity period.</summary>
    public bool ChainValid { get; init; }
    /// <summary>Why the chain is not valid, or null.</summary>
    public string? ChainError { get; init; }
    /// <summary>The certificate names the host that was asked for (RFC 6125 6.4).</summary>
    public bool HostnameMatch { get; init; }
    /// <summary>The host name the certificate was compared with.</summary>
    public string ServerName { get; init; } = "";
    /// <summary>The TLSA records found for the service (<c>_port._tcp.host</c>), as "usage selector matching data".</summary>
    public IReadOnlyList<string> TlsaRecords { get; set; } = [];
    /// <summary>True when a usable TLSA record matches the certificate chain, false when none does, null when no TLSA records were found or asked for.</summary>
    public bool? DaneMatch { get; set; }
    /// <summary>The domain's MTA-STS mode (enforce, testing, none), or null when no policy was found or asked for.</summary>
    public string? MtaStsMode { get; set; }
    /// <summary>
    /// True when the host matches an mx pattern of the domain's MTA-STS policy and the certificate is trusted and names it
    /// (RFC 8461 4.1, 4.2); false when not; null when there is no policy.
    /// </summary>
    public bool? MtaStsMatch { get; set; }
    /// <summary>The server certificate.</summary>
    public X509Certificate2? Certificate { get; init; }
    /// <summary>The certificates of the chain as built (leaf first).</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; init; } = [];

    /// <summary>
    /// Describes a finished handshake: the certificate is validated against <paramref name="trustedRoots"/> (the system
    /// store when null) and compared with <paramref name="serverName"/>.
    /// </summary>
    /// <param name="stream">The authenticated stream.</param>
    /// <param name="serverName">The name the client asked for.</param>
    /// <param name="presented">Certificates the server sent besides its own (intermediates), if known.</param>
    /// <param name="trustedRoots">Roots to trust instead of the system store, or null.</param>
    public static MailTlsDetails FromStream(SslStream stream, string serverName, IEnumerable<X509Certificate2>? presented, X509Certificate2Collection? trustedRoots)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var certificate = stream.RemoteCertificate is null ? null : X509CertificateLoader.LoadCertificate(stream.RemoteCertificate.GetRawCertData());
        return Create(stream.SslProtocol, stream.NegotiatedCipherSuite.ToString(), certificate, serverName, presented, trustedRoots);
    }

    /// <summary>Describes a handshake from its parts (for clients such as MailKit that expose them separately).</summary>
    public static MailTlsDetails Create(SslProtocols protocol, string cipherSuite, X509Certificate2? certificate, string serverName,
        IEnumerable<X509Certificate2>? presented, X509Certificate2Collection? trustedRoots)
    {
        if (certificate is null)
            return new MailTlsDetails { Protocol = protocol, CipherSuite = cipherSuite, KeyExchange = KeyExchangeOf(protocol, cipherSuite), ServerName = serverName, ChainError = "the server sent no certificate" };
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (trustedRoots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        }
        foreach (var extra in presented ?? []) chain.ChainPolicy.ExtraStore.Add(extra);
        var valid = chain.Build(certificate);
        var problems = chain.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError)
            .Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToArray();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        return new MailTlsDetails
        {
            Protocol = protocol,
            CipherSuite = cipherSuite,
            KeyExchange = KeyExchangeOf(protocol, cipherSuite),
            CertificateSubject = certificate.Subject,
            SubjectAlternativeNames = AlternativeNames(certificate),
            Issuer = certificate.Issuer,
            NotAfter = notAfter,
            DaysLeft = (int)Math.Floor((notAfter - DateTime.UtcNow).TotalDays),
            ChainValid = valid,
            ChainError = valid ? null : (problems.Length > 0 ? string.Join("; ", problems) : "the chain does not build"),
            HostnameMatch = serverName.Length > 0 && certificate.MatchesHostname(serverName.Trim('[', ']'), allowWildcards: true, allowCommonName: false),
            ServerName = serverName,
            Certificate = certificate,
            Chain = chain.ChainElements.Select(e => X509CertificateLoader.LoadCertificate(e.Certificate.RawData)).ToArray(),
        };
    }

    /// <summary>
    /// Fills <see cref="TlsaRecords"/> and <see cref="DaneMatch"/> from the TLSA records at <c>_port._tcp.host</c> (RFC 6698 3,
    /// RFC 7672), and with a <paramref name="domain"/> <see cref="MtaStsMode"/> and <see cref="MtaStsMatch"/> from its MTA-STS
    /// policy (RFC 8461), reading both with the checks Test-MailDns runs.
    /// </summary>
    /// <param name="resolver">The resolver.</param>
    /// <param name="host">The server's name (an address literal has no TLSA records).</param>
    /// <param name="port">The server's port.</param>
    /// <param name="domain">The mail domain whose MX the host is, or null to skip MTA-STS.</param>
    /// <param name="mtaStsPort">The policy host's HTTPS port (443).</param>
    /// <param name="mtaStsTrustedRoots">Roots for the policy host's certificate, or null for the system store.</param>
    /// <param name="cancellationToken">Stops the lookups.</param>
    public async Task CheckDnsAsync(Dns.MailDnsResolver resolver, string host, int port, string? domain, int mtaStsPort,
        X509Certificate2Collection? mtaStsTrustedRoots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(host);
        if (!System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _))
        {
            var (lookup, records) = await Dns.DaneCheck.LookupTlsaAsync(resolver, host, port, cancellationToken).ConfigureAwait(false);
            if (lookup.Status == Dns.DnsLookupStatus.Found && records.Count > 0)
            {
                TlsaRecords = records.Select(r => r.ToString()).ToArray();
                DaneMatch = records.Any(r => Dns.DaneCheck.Matches(r, Chain.Count > 0 ? Chain : Certificate is null ? [] : [Certificate]));
            }
        }
        if (domain is null) return;
        var check = new Dns.MailDnsCheckOptions { Checks = [Dns.MailDnsCheck.MtaSts], MtaStsPort = mtaStsPort, MtaStsTrustedRoots = mtaStsTrustedRoots };
        var results = await new Dns.MailDnsChecker(resolver).CheckAsync(domain, check, cancellationToken).ConfigureAwait(false);
        if (results.FirstOrDefault()?.Detail is not Dns.MtaStsDetail { Mode: not null } detail) return;
        MtaStsMode = detail.Mode;
        // RFC 8461 4.1, 4.2: the host must match an mx pattern and present a trusted certificate naming it.
        MtaStsMatch = detail.MxPatterns.Any(p => Dns.MtaStsPolicy.Matches(p, host)) && ChainValid && HostnameMatch;
    }

    /// <summary>The key exchange a cipher suite names: TLS 1.3 suites leave it out because it is always (EC)DHE.</summary>
    public static string KeyExchangeOf(SslProtocols protocol, string cipherSuite)
    {
        if (protocol == SslProtocols.Tls13 || (cipherSuite.StartsWith("TLS_AES_", StringComparison.Ordinal) || cipherSuite.StartsWith("TLS_CHACHA20_", StringComparison.Ordinal))) return "ECDHE";
        var parts = cipherSuite.Split('_');
        if (parts.Length < 3) return "";
        return parts[1] switch
        {
            "ECDHE" => "ECDHE",
            "DHE" => "DHE",
            "RSA" => "RSA",
            "ECDH" => "ECDH",
            var other => other,
        };
    }

    private static string[] AlternativeNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (extension is null) return [];
        return extension.EnumerateDnsNames().Concat(extension.EnumerateIPAddresses().Select(a => a.ToString())).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Protocol} {CipherSuite} {CertificateSubject} (valid: {ChainValid}, name: {HostnameMatch}, {DaysLeft} days left)";
}
