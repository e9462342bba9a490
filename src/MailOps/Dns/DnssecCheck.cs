using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>
/// Reports whether the domain's answers are DNSSEC-signed and validated, as far as the resolver in use shows it:
/// the AD bit of a validating resolver, or the RRSIG records a non-validating one passes on (the resolver asks with DO).
/// </summary>
public sealed class DnssecCheck : IMailDnsCheck
{
    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Dnssec;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var set = await context.GetMailHostsAsync().ConfigureAwait(false);
        var f = new MailDnsFindings();
        var domain = context.Domain;

        // The MX answer is what senders rely on; a domain without MX still has its SOA or address answers to judge.
        var lookup = set.MxLookup;
        if (lookup.Status != DnsLookupStatus.Found)
        {
            var soa = await context.Resolver.QueryAsync(domain, QueryType.SOA, cancellationToken).ConfigureAwait(false);
            if (soa.Status == DnsLookupStatus.Found || lookup.Status == DnsLookupStatus.TempError) lookup = soa;
        }

        var signatures = lookup.Answers.OfType<RRSigRecord>().ToArray();
        var ad = lookup.AuthenticData;
        bool? hasDs = null;
        bool? resolverValidates = null;
        if (lookup.Status == DnsLookupStatus.TempError)
        {
            // RFC 4035 5.5: a validating resolver answers SERVFAIL for bogus data, indistinguishable here from an outage.
            f.TempError($"Lookup of {domain} failed: {lookup.Error}. Behind a validating resolver this is also how a DNSSEC validation failure (bogus) shows.", "RFC 4035 5.5");
        }
        else if (ad)
        {
            resolverValidates = true;
            f.Pass($"Answers for {domain} are DNSSEC-validated (AD bit set by {lookup.NameServer}).", "RFC 4035 3.2.3");
        }
        else if (signatures.Length > 0)
        {
            resolverValidates = false;
            f.Info($"The zone of {domain} is signed, but this resolver does not validate (no AD bit); use a validating resolver (-NameServer) to check DNSSEC.", "RFC 4035 3.2.3");
        }
        else
        {
            // No signatures came back; a DS at the parent would still say the zone is meant to be signed (RFC 4035 5).
            var ds = await context.Resolver.QueryAsync(domain, QueryType.DS, cancellationToken).ConfigureAwait(false);
            hasDs = ds.Status == DnsLookupStatus.Found ? true : ds.Status == DnsLookupStatus.TempError ? null : false;
            if (hasDs == true)
                f.Warn($"The parent of {domain} publishes DS records, but answers carry no signatures: the resolver strips them or the zone is broken.", "RFC 4035 5");
            else
                f.Warn($"{domain} is not DNSSEC-signed: its answers, and DANE, cannot be authenticated.", "RFC 4033 3");
        }

        var detail = new DnssecDetail
        {
            AuthenticData = ad,
            Signed = ad || signatures.Length > 0 || hasDs == true,
            Validated = ad,
            ResolverValidates = resolverValidates,
            HasDs = hasDs,
            Question = $"{lookup.Type} {lookup.Name}",
        };
        var record = signatures.Length == 0 ? null
            : string.Join("; ", signatures.Select(s => $"RRSIG {s.CoveredType} {s.Algorithm} {s.KeyTag} {s.SignersName.Value.TrimEnd('.')}"));
        return f.ToResult(domain, Check, $"Answers for {domain} are DNSSEC-validated.", record, "RFC 4033", detail, lookup.NameServer);
    }
}

/// <summary>Detail of the DNSSEC check.</summary>
public sealed class DnssecDetail
{
    /// <summary>The AD bit of the answer judged.</summary>
    public bool AuthenticData { get; init; }
    /// <summary>The zone is signed: validated, signatures returned, or a DS at the parent.</summary>
    public bool Signed { get; init; }
    /// <summary>The resolver validated the answer as secure.</summary>
    public bool Validated { get; init; }
    /// <summary>Whether the resolver in use validates: true (AD set), false (signatures but no AD), null when the answers cannot tell.</summary>
    public bool? ResolverValidates { get; init; }
    /// <summary>Whether the parent publishes DS records; asked only when no signatures came back, null when not asked or the lookup failed.</summary>
    public bool? HasDs { get; init; }
    /// <summary>The question judged, e.g. "MX example.org".</summary>
    public required string Question { get; init; }
}
