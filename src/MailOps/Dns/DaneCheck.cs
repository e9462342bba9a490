using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>Judges the DANE TLSA records of every MX host (RFC 7672, RFC 6698).</summary>
public sealed class DaneCheck : IMailDnsCheck
{
    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Dane;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var set = await context.GetMailHostsAsync().ConfigureAwait(false);
        var f = new MailDnsFindings();
        var hosts = new List<DaneHost>();
        var records = new List<string>();
        string? nameServer = set.MxLookup.NameServer;

        if (set.MxLookup.Status == DnsLookupStatus.TempError)
            f.TempError($"MX lookup failed: {set.MxLookup.Error}", "RFC 7672 2.2.1");
        else if (set.IsNullMx && set.Hosts.Count == 0)
            f.Info("The domain publishes a null MX: no MX host to secure with DANE.", "RFC 7505 3");
        else if (set.Hosts.Count == 0)
            f.Info("No MX host: nothing to secure with DANE.", "RFC 7672 2.2.1");

        // RFC 7672 2.2.1: an address-literal MX has no name to hang TLSA records on.
        var named = set.Hosts.Where(h => !h.IsAddressLiteral).ToArray();
        var lookups = await Task.WhenAll(named.Select(h => context.Resolver.QueryAsync(TlsaName(h.Host), QueryType.TLSA, cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < named.Length; i++)
        {
            var host = named[i];
            var lookup = lookups[i];
            nameServer = lookup.NameServer;
            if (lookup.Status == DnsLookupStatus.TempError)
            {
                f.TempError($"TLSA lookup of {lookup.Name} failed: {lookup.Error}", "RFC 7672 2.2");
                hosts.Add(new DaneHost { Host = host.Host, TlsaName = lookup.Name, Verdict = MailDnsStatus.TempError });
                continue;
            }
            var tlsa = lookup.Records<TlsaRecord>().Select(r => Judge(host.Host, r, f)).ToArray();
            records.AddRange(tlsa.Select(t => $"{lookup.Name} TLSA {t.Usage} {t.Selector} {t.MatchingType} {t.Data}"));
            var verdict = tlsa.Length == 0 ? MailDnsStatus.Info : tlsa.Max(t => t.Verdict);
            if (tlsa.Length > 0 && !tlsa.Any(t => t.IsUsable))
            {
                // RFC 7672 2.2: with no usable record the sender still requires TLS but authenticates nothing.
                f.Fail($"{host.Host} publishes TLSA records, but none is usable for SMTP: senders cannot authenticate it.", "RFC 7672 2.2");
                verdict = MailDnsStatus.Fail;
            }
            else if (tlsa.Length > 0)
                f.Pass($"{host.Host} publishes {tlsa.Count(t => t.IsUsable)} usable TLSA record(s).", "RFC 7672 3.1");
            hosts.Add(new DaneHost { Host = host.Host, TlsaName = lookup.Name, Records = tlsa, Authenticated = lookup.AuthenticData, Verdict = verdict });
        }

        var withTlsa = hosts.Where(h => h.Records.Count > 0).ToArray();
        var answered = hosts.Where(h => h.Verdict != MailDnsStatus.TempError).ToArray();
        if (named.Length > 0 && withTlsa.Length == 0 && answered.Length == hosts.Count)
            f.Info("DANE not deployed: no MX host publishes TLSA records.", "RFC 7672 2.2");
        else if (withTlsa.Length > 0)
        {
            var without = answered.Where(h => h.Records.Count == 0).Select(h => h.Host).ToArray();
            // RFC 7672 2.2.1: a sender may pick an MX without TLSA records, where TLS can be downgraded.
            if (without.Length > 0)
                f.Warn($"Some MX hosts publish TLSA records, others do not ({string.Join(", ", without)}): mail to those is not protected by DANE.", "RFC 7672 2.2.1");
            // RFC 7672 2.2: only DNSSEC-validated ("secure") TLSA records count; insecure ones are ignored.
            if (withTlsa.Any(h => !h.Authenticated))
                f.Warn("TLSA records are not DNSSEC-validated by this resolver; senders will ignore them.", "RFC 7672 2.2");
        }

        var pass = $"DANE TLSA records for {withTlsa.Length} MX host(s), DNSSEC-validated.";
        var detail = new DaneDetail { Hosts = hosts };
        return f.ToResult(context.Domain, Check, pass, records.Count == 0 ? null : string.Join("; ", records), "RFC 7672 2.2", detail, nameServer);
    }

    /// <summary>The TLSA owner name of an SMTP server on port 25 (RFC 7672 2.2.1, RFC 6698 3).</summary>
    public static string TlsaName(string host) => TlsaName(host, 25);

    /// <summary>The TLSA owner name of a TCP service on <paramref name="port"/> of <paramref name="host"/> (RFC 6698 3).</summary>
    public static string TlsaName(string host, int port) => $"_{port}._tcp.{host.TrimEnd('.')}";

    /// <summary>Looks up and judges the TLSA records of a TCP service; the lookup tells whether the answer was found, absent or a temporary error.</summary>
    public static async Task<(DnsLookup Lookup, IReadOnlyList<DaneTlsa> Records)> LookupTlsaAsync(MailDnsResolver resolver, string host, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        var lookup = await resolver.QueryAsync(TlsaName(host, port), QueryType.TLSA, cancellationToken).ConfigureAwait(false);
        var scratch = new MailDnsFindings();
        return (lookup, lookup.Records<TlsaRecord>().Select(r => Judge(host, r, scratch)).ToArray());
    }

    /// <summary>
    /// True when <paramref name="record"/> is usable for SMTP and matches the chain a server presented: DANE-EE(3) the leaf,
    /// DANE-TA(2) any certificate of the chain (RFC 7672 3.1.1, 3.1.2; RFC 6698 2.1).
    /// </summary>
    /// <param name="record">A judged TLSA record.</param>
    /// <param name="chain">The server's chain, leaf first.</param>
    public static bool Matches(DaneTlsa record, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(chain);
        if (!record.IsUsable || chain.Count == 0) return false;
        var candidates = record.Usage == 3 ? chain.Take(1) : chain.Skip(1).DefaultIfEmpty(chain[0]);
        foreach (var certificate in candidates)
        {
            // RFC 6698 2.1.2: selector 0 is the whole certificate, 1 its SubjectPublicKeyInfo.
            var selected = record.Selector == 0 ? certificate.RawData : certificate.PublicKey.ExportSubjectPublicKeyInfo();
            var digest = record.MatchingType switch
            {
                1 => System.Security.Cryptography.SHA256.HashData(selected),
                2 => System.Security.Cryptography.SHA512.HashData(selected),
                _ => selected,
            };
            if (Convert.ToHexStringLower(digest) == record.Data) return true;
        }
        return false;
    }

    private static DaneTlsa Judge(string host, TlsaRecord record, MailDnsFindings f)
    {
        var usage = (int)record.CertificateUsage;
        var selector = (int)record.Selector;
        var matching = (int)record.MatchingType;
        var data = record.CertificateAssociationData.ToArray();
        var text = $"{host} TLSA {usage} {selector} {matching}";
        var verdict = MailDnsStatus.Pass;
        var usable = true;
        void Mark(MailDnsStatus status, string message, string reference)
        {
            f.Add(status, message, reference);
            if (status > verdict) verdict = status;
        }

        switch (usage)
        {
            case 0 or 1:
                // RFC 7672 3.1.3: SMTP senders treat PKIX-TA(0) and PKIX-EE(1) as unusable.
                Mark(MailDnsStatus.Warn, $"{text}: usage {UsageName(usage)} is not for SMTP; senders ignore it (use DANE-EE(3) or DANE-TA(2)).", "RFC 7672 3.1.3");
                usable = false;
                break;
            case 2 or 3:
                break;
            default:
                Mark(MailDnsStatus.Fail, $"{text}: certificate usage {usage} is not defined.", "RFC 6698 2.1.1");
                usable = false;
                break;
        }
        if (selector is not (0 or 1))
        {
            Mark(MailDnsStatus.Fail, $"{text}: selector {selector} is not defined.", "RFC 6698 2.1.2");
            usable = false;
        }
        var expected = matching switch { 1 => 32, 2 => 64, _ => 0 };
        if (matching == 0)
            Mark(MailDnsStatus.Info, $"{text}: matching type Full(0) publishes the whole {(selector == 1 ? "public key" : "certificate")}; a SHA-256 digest (1) is smaller and as safe.", "RFC 6698 2.1.3");
        else if (expected == 0)
        {
            Mark(MailDnsStatus.Fail, $"{text}: matching type {matching} is not defined.", "RFC 6698 2.1.3");
            usable = false;
        }
        if (expected > 0 && data.Length != expected)
        {
            Mark(MailDnsStatus.Fail, $"{text}: {(matching == 1 ? "SHA-256" : "SHA-512")} data is {data.Length} bytes, not {expected}; it can never match.", "RFC 6698 2.1.3");
            usable = false;
        }
        else if (data.Length == 0)
        {
            Mark(MailDnsStatus.Fail, $"{text}: the certificate association data is empty.", "RFC 6698 2.1.4");
            usable = false;
        }
        return new DaneTlsa
        {
            Usage = usage,
            Selector = selector,
            MatchingType = matching,
            Data = Convert.ToHexStringLower(data),
            Verdict = verdict,
            IsUsable = usable,
        };
    }

    private static string UsageName(int usage) => usage switch
    {
        0 => "PKIX-TA(0)",
        1 => "PKIX-EE(1)",
        2 => "DANE-TA(2)",
        3 => "DANE-EE(3)",
        _ => $"({usage})",
    };
}

/// <summary>Detail of the DANE check.</summary>
public sealed class DaneDetail
{
    /// <summary>Every MX host with its TLSA records, in MX preference order.</summary>
    public IReadOnlyList<DaneHost> Hosts { get; init; } = [];
}

/// <summary>The TLSA records of one MX host.</summary>
public sealed class DaneHost
{
    /// <summary>The MX host.</summary>
    public required string Host { get; init; }
    /// <summary>Where its TLSA records live: <c>_25._tcp.&lt;host&gt;</c>.</summary>
    public required string TlsaName { get; init; }
    /// <summary>The TLSA records found; empty when none are published.</summary>
    public IReadOnlyList<DaneTlsa> Records { get; init; } = [];
    /// <summary>The resolver set the AD bit on the TLSA answer: DNSSEC-validated.</summary>
    public bool Authenticated { get; init; }
    /// <summary>The worst verdict on this host's records (Info when none are published).</summary>
    public MailDnsStatus Verdict { get; init; }
}

/// <summary>One TLSA record (RFC 6698 2.1) and its verdict.</summary>
public sealed class DaneTlsa
{
    /// <summary>Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.</summary>
    public int Usage { get; init; }
    /// <summary>Selector: 0 full certificate, 1 SubjectPublicKeyInfo.</summary>
    public int Selector { get; init; }
    /// <summary>Matching type: 0 full, 1 SHA-256, 2 SHA-512.</summary>
    public int MatchingType { get; init; }
    /// <summary>The certificate association data in lower-case hex.</summary>
    public required string Data { get; init; }
    /// <summary>The verdict on this record.</summary>
    public MailDnsStatus Verdict { get; init; }
    /// <summary>An SMTP sender can use this record to authenticate the server (RFC 7672 3.1).</summary>
    public bool IsUsable { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Usage} {Selector} {MatchingType} {Data}";
}
