namespace MailOps.Dns;

/// <summary>The DMARC result of one message (RFC 7489 11.2, the names Authentication-Results uses).</summary>
public enum DmarcResult
{
    /// <summary>No DMARC policy is published for the From: domain.</summary>
    None,
    /// <summary>SPF or DKIM passed for an identifier aligned with the From: domain.</summary>
    Pass,
    /// <summary>Neither did.</summary>
    Fail,
    /// <summary>The policy could not be looked up.</summary>
    TempError,
    /// <summary>The From: header names no single domain, so there is nothing to evaluate.</summary>
    PermError,
}

/// <summary>What the receiver should do with a message that failed (RFC 7489 6.3 p=).</summary>
public enum DmarcDisposition
{
    /// <summary>Deliver as usual.</summary>
    None,
    /// <summary>Deliver as suspicious: spam folder or hold.</summary>
    Quarantine,
    /// <summary>Refuse during the SMTP transaction.</summary>
    Reject,
}

/// <summary>The DMARC verdict for one message.</summary>
/// <param name="Result">pass, fail, none, temperror or permerror.</param>
/// <param name="FromDomain">The RFC5322.From domain.</param>
/// <param name="Policy">The policy that applies (p, or sp for a subdomain found through its organisational domain), or null without one.</param>
/// <param name="Disposition">What to do: <see cref="DmarcDisposition.None"/> unless the message failed and the policy (after pct) says so.</param>
/// <param name="SpfAligned">SPF passed for a domain aligned with From:.</param>
/// <param name="DkimAligned">A DKIM signature passed for a d= aligned with From:.</param>
/// <param name="RecordDomain">Where the policy record was found (the From: domain or its organisational domain).</param>
/// <param name="Reason">Why, in a few words.</param>
public sealed record DmarcVerdict(DmarcResult Result, string FromDomain, string? Policy, DmarcDisposition Disposition,
    bool SpfAligned, bool DkimAligned, string? RecordDomain, string Reason)
{
    /// <summary>The result's keyword in Authentication-Results.</summary>
    public string Keyword => Result.ToString().ToLowerInvariant();
}

/// <summary>
/// Applies the From: domain's DMARC policy (RFC 7489 6.6) to the SPF and DKIM results of a message: finds the record at
/// <c>_dmarc.&lt;from&gt;</c> or the organisational domain (<see cref="OrganizationalDomain"/>), reads it with the same
/// reader as Test-MailDns (<see cref="DmarcCheck"/>), checks relaxed or strict alignment and applies p/sp and pct.
/// </summary>
public sealed class DmarcEvaluator(MailDnsResolver resolver)
{
    /// <summary>Draws a number from 0 to 99 for pct sampling (RFC 7489 6.6.4); replaceable for tests.</summary>
    public Func<int> Sample { get; init; } = () => Random.Shared.Next(100);

    /// <summary>Evaluates DMARC for a message whose From: domain is <paramref name="fromDomain"/>.</summary>
    /// <param name="fromDomain">The RFC5322.From domain; null when From: does not name exactly one address.</param>
    /// <param name="spf">The SPF verdict (for the MAIL FROM domain, or HELO for the null sender).</param>
    /// <param name="dkimPassedDomains">The d= of every DKIM signature that verified.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    public async Task<DmarcVerdict> EvaluateAsync(string? fromDomain, SpfVerdict? spf, IEnumerable<string> dkimPassedDomains, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dkimPassedDomains);
        if (string.IsNullOrEmpty(fromDomain))
            return new DmarcVerdict(DmarcResult.PermError, "", null, DmarcDisposition.None, false, false, null, "From: does not hold exactly one address");
        var from = fromDomain.TrimEnd('.').ToLowerInvariant();

        // RFC 7489 6.6.3: the record at the From: domain, else the one at its organisational domain.
        var (status, record, recordDomain) = await FindAsync(from, cancellationToken).ConfigureAwait(false);
        if (status == DnsLookupStatus.TempError)
            return new DmarcVerdict(DmarcResult.TempError, from, null, DmarcDisposition.None, false, false, null, $"lookup of _dmarc.{recordDomain} failed");
        if (record is null)
            return new DmarcVerdict(DmarcResult.None, from, null, DmarcDisposition.None, false, false, null, "no DMARC record");

        var detail = DmarcCheck.Read(record, recordDomain, new MailDnsFindings());
        // RFC 7489 6.6.3: sp applies to a subdomain whose policy came from the organisational domain.
        var policy = recordDomain == from ? detail.Policy : detail.SubdomainPolicy ?? detail.Policy;
        if (policy is null)
            return new DmarcVerdict(DmarcResult.None, from, null, DmarcDisposition.None, false, false, recordDomain, "the DMARC record has no valid policy");

        var spfAligned = spf is { Result: SpfResult.Pass } && Aligned(spf.Domain, from, detail.Aspf);
        var dkimAligned = dkimPassedDomains.Any(d => Aligned(d, from, detail.Adkim));
        if (spfAligned || dkimAligned)
        {
            var how = spfAligned && dkimAligned ? "SPF and DKIM" : spfAligned ? "SPF" : "DKIM";
            return new DmarcVerdict(DmarcResult.Pass, from, policy, DmarcDisposition.None, spfAligned, dkimAligned, recordDomain, $"{how} aligned with {from}");
        }

        var disposition = policy switch { "reject" => DmarcDisposition.Reject, "quarantine" => DmarcDisposition.Quarantine, _ => DmarcDisposition.None };
        // RFC 7489 6.6.4: messages outside the pct sample get the next weaker policy.
        if (disposition != DmarcDisposition.None && Sample() >= detail.Percent) disposition--;
        return new DmarcVerdict(DmarcResult.Fail, from, policy, disposition, false, false, recordDomain, $"neither SPF nor DKIM aligned with {from}");
    }

    /// <summary>RFC 7489 3.1: strict alignment wants the same domain, relaxed the same organisational domain.</summary>
    public static bool Aligned(string authenticated, string from, string mode)
    {
        var a = authenticated.TrimEnd('.').ToLowerInvariant();
        var f = from.TrimEnd('.').ToLowerInvariant();
        return mode == "s" ? a == f : OrganizationalDomain.Of(a) == OrganizationalDomain.Of(f);
    }

    private async Task<(DnsLookupStatus Status, string? Record, string RecordDomain)> FindAsync(string from, CancellationToken cancellationToken)
    {
        var (status, record) = await RecordAtAsync(from, cancellationToken).ConfigureAwait(false);
        if (status == DnsLookupStatus.TempError || record is not null) return (status, record, from);
        var organization = OrganizationalDomain.Of(from);
        if (organization == from) return (status, null, from);
        var (orgStatus, orgRecord) = await RecordAtAsync(organization, cancellationToken).ConfigureAwait(false);
        return (orgStatus, orgRecord, organization);
    }

    private async Task<(DnsLookupStatus Status, string? Record)> RecordAtAsync(string domain, CancellationToken cancellationToken)
    {
        var (lookup, texts) = await resolver.QueryTxtAsync("_dmarc." + domain, cancellationToken).ConfigureAwait(false);
        if (lookup.Status == DnsLookupStatus.TempError) return (lookup.Status, null);
        // RFC 7489 6.6.3: other TXT records are discarded; more than one DMARC record means no DMARC processing.
        var records = texts.Where(DmarcCheck.IsDmarcRecord).ToArray();
        return (lookup.Status, records.Length == 1 ? records[0] : null);
    }
}
