namespace MailOps.Dns;

/// <summary>Judges the DMARC record at <c>_dmarc.&lt;domain&gt;</c> (RFC 7489), or the record given with <c>-DmarcRecord</c>.</summary>
public sealed class DmarcCheck : IMailDnsCheck
{
    private static readonly string[] Dispositions = ["none", "quarantine", "reject"];
    private static readonly HashSet<string> KnownTags = new(StringComparer.OrdinalIgnoreCase) { "v", "p", "sp", "rua", "ruf", "adkim", "aspf", "ri", "fo", "rf", "pct" };

    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Dmarc;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var f = new MailDnsFindings();
        var domain = context.Domain;
        if (context.Options.DmarcRecord is { } proposed)
        {
            var detail = await JudgeAsync(proposed.Trim(), domain, context.Resolver, f, cancellationToken).ConfigureAwait(false);
            detail.IsProposed = true;
            return f.ToResult(domain, Check, PassSummary(detail), proposed.Trim(), "RFC 7489 6.3", detail, null);
        }

        var name = "_dmarc." + domain;
        var (lookup, texts) = await context.Resolver.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (lookup.Status == DnsLookupStatus.TempError)
        {
            f.TempError($"TXT lookup of {name} failed: {lookup.Error}", "RFC 7489 6.6.3");
            return f.ToResult(domain, Check, "", null, "RFC 7489 6.6.3", null, lookup.NameServer);
        }
        // RFC 7489 6.6.3: records that do not start with v=DMARC1 are discarded.
        var records = texts.Where(IsDmarcRecord).ToArray();
        var ignored = texts.Count - records.Length;
        if (ignored > 0)
            f.Info($"{ignored} TXT record(s) at {name} ignored: a DMARC record must start with v=DMARC1.", "RFC 7489 6.6.3");
        if (records.Length > 1)
        {
            f.Fail($"{records.Length} DMARC records at {name}: receivers apply no DMARC processing when there is more than one.", "RFC 7489 6.6.3");
            return f.ToResult(domain, Check, "", string.Join(" | ", records), "RFC 7489 6.6.3", null, lookup.NameServer);
        }
        if (records.Length == 0)
            return await NoRecordAsync(context, name, f, lookup.NameServer, cancellationToken).ConfigureAwait(false);

        var judged = await JudgeAsync(records[0], domain, context.Resolver, f, cancellationToken).ConfigureAwait(false);
        return f.ToResult(domain, Check, PassSummary(judged), records[0], "RFC 7489 6.3", judged, lookup.NameServer);
    }

    private async Task<MailDnsCheckResult> NoRecordAsync(MailDnsCheckContext context, string name, MailDnsFindings f, string nameServer, CancellationToken cancellationToken)
    {
        var domain = context.Domain;
        var organization = OrganizationalDomain.Of(domain);
        if (organization != domain)
        {
            // RFC 7489 6.6.3 step 3: without a record at the domain, receivers ask the organisational domain.
            var (orgLookup, orgTexts) = await context.Resolver.QueryTxtAsync("_dmarc." + organization, cancellationToken).ConfigureAwait(false);
            if (orgLookup.Status == DnsLookupStatus.TempError)
            {
                f.TempError($"No DMARC record at {name}; the lookup at the organisational domain _dmarc.{organization} failed: {orgLookup.Error}", "RFC 7489 6.6.3");
                return f.ToResult(domain, Check, "", null, "RFC 7489 6.6.3", null, nameServer);
            }
            var orgRecords = orgTexts.Where(IsDmarcRecord).ToArray();
            if (orgRecords.Length == 1)
            {
                var orgDetail = await JudgeAsync(orgRecords[0], organization, context.Resolver, new MailDnsFindings(), cancellationToken).ConfigureAwait(false);
                orgDetail.RecordDomain = organization;
                f.Info($"No DMARC record at {name}; receivers apply the organisational domain's record at _dmarc.{organization} (subdomain policy {orgDetail.SubdomainPolicy ?? "invalid"}).", "RFC 7489 6.6.3");
                return f.ToResult(domain, Check, "", orgRecords[0], "RFC 7489 6.6.3", orgDetail, nameServer);
            }
        }
        f.Fail($"No DMARC record at {name}: receivers apply no DMARC policy to mail from {domain}.", "RFC 7489 6.6.3");
        return f.ToResult(domain, Check, "", null, "RFC 7489 6.6.3", null, nameServer);
    }

    private static string PassSummary(DmarcDetail d) =>
        $"DMARC p={d.Policy}, sp={d.SubdomainPolicy}, pct={d.Percent}" + (d.Rua.Count > 0 ? $", reports to {string.Join(", ", d.Rua)}" : "");

    /// <summary>True when the record's first tag is <c>v=DMARC1</c> (case-sensitive value, RFC 7489 6.3).</summary>
    internal static bool IsDmarcRecord(string text) =>
        TagList.Parse(text, TagListRules.PolicyRecord).Tags.FirstOrDefault() is { } first && first.Name.Equals("v", StringComparison.OrdinalIgnoreCase) && first.Value == "DMARC1";

    private static async Task<DmarcDetail> JudgeAsync(string record, string policyDomain, MailDnsResolver resolver, MailDnsFindings f, CancellationToken cancellationToken)
    {
        var detail = Read(record, policyDomain, f);
        await AuthorizeDestinationsAsync(detail, policyDomain, resolver, f, cancellationToken).ConfigureAwait(false);
        return detail;
    }

    /// <summary>Reads a DMARC record's tags into a <see cref="DmarcDetail"/>, adding a finding for every fault; asks no DNS.</summary>
    /// <remarks>The one reader of DMARC records: Test-MailDns judges with it and <see cref="DmarcEvaluator"/> applies what it reads.</remarks>
    internal static DmarcDetail Read(string record, string policyDomain, MailDnsFindings f)
    {
        var list = TagList.Parse(record, TagListRules.PolicyRecord);
        var detail = new DmarcDetail { RecordDomain = policyDomain, Tags = list.Tags };
        if (list.Error is not null) f.Fail($"The DMARC record is not a tag list: {list.Error}", "RFC 7489 6.4");
        if (!IsDmarcRecord(record)) f.Fail("v=DMARC1 must be the first tag of a DMARC record.", "RFC 7489 6.4");
        foreach (var duplicate in list.Tags.GroupBy(t => t.Name.ToLowerInvariant()).Where(g => g.Count() > 1))
            f.Fail($"The tag {duplicate.Key} appears {duplicate.Count()} times.", "RFC 7489 6.4");

        var rua = ReadUris(list["rua"], "rua", detail.Rua, f);
        ReadUris(list["ruf"], "ruf", detail.Ruf, f);

        var p = list["p"];
        var pIndex = list.IndexOf("p");
        if (p is null)
        {
            if (rua > 0) f.Fail("The record has no p tag; because it has a valid rua, receivers treat it as p=none (monitoring only).", "RFC 7489 6.6.3");
            else f.Fail("The record has no p tag: receivers apply no DMARC processing.", "RFC 7489 6.6.3");
            detail.Policy = rua > 0 ? "none" : null;
        }
        else if (!Dispositions.Contains(p.ToLowerInvariant()))
            f.Fail($"p={p} is not none, quarantine or reject.", "RFC 7489 6.3");
        else
        {
            detail.Policy = p.ToLowerInvariant();
            if (pIndex != 1) f.Warn("The p tag must come right after v=DMARC1.", "RFC 7489 6.4");
            if (detail.Policy == "none") f.Warn("p=none: monitoring only, receivers take no action on mail that fails DMARC.", "RFC 7489 6.3");
            else f.Pass($"p={detail.Policy}", "RFC 7489 6.3");
        }

        var sp = list["sp"];
        if (sp is null) detail.SubdomainPolicy = detail.Policy;
        else if (Dispositions.Contains(sp.ToLowerInvariant())) detail.SubdomainPolicy = sp.ToLowerInvariant();
        else f.Fail($"sp={sp} is not none, quarantine or reject.", "RFC 7489 6.3");

        if (list["pct"] is { } pct)
        {
            if (pct.Length is > 0 and <= 3 && pct.All(char.IsAsciiDigit) && int.Parse(pct, System.Globalization.CultureInfo.InvariantCulture) <= 100)
            {
                detail.Percent = int.Parse(pct, System.Globalization.CultureInfo.InvariantCulture);
                if (detail.Percent < 100) f.Info($"pct={detail.Percent}: the policy applies to {detail.Percent}% of failing mail; the rest gets the next weaker policy.", "RFC 7489 6.6.4");
            }
            else f.Fail($"pct={pct} is not a whole number from 0 to 100.", "RFC 7489 6.3");
        }

        detail.Adkim = Alignment(list["adkim"], "adkim", f);
        detail.Aspf = Alignment(list["aspf"], "aspf", f);

        if (list["fo"] is { } fo)
        {
            // RFC 7489 6.3: fo is a colon-separated list of 0, 1, d and s.
            var options = fo.Split(':').Select(o => o.Trim()).ToArray();
            if (options.All(o => o is "0" or "1" or "d" or "s")) detail.FailureOptions = options;
            else f.Fail($"fo={fo} is not a colon-separated list of 0, 1, d and s.", "RFC 7489 6.3");
        }
        if (list["rf"] is { } rf && !rf.Split(':').All(x => x.Trim().Equals("afrf", StringComparison.OrdinalIgnoreCase)))
            f.Fail($"rf={rf}: the only failure report format is afrf.", "RFC 7489 6.3");
        if (list["ri"] is { } ri)
        {
            if (uint.TryParse(ri, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)) detail.ReportInterval = seconds;
            else f.Fail($"ri={ri} is not a number of seconds.", "RFC 7489 6.3");
        }
        foreach (var unknown in list.Tags.Where(t => !KnownTags.Contains(t.Name)))
            f.Info($"Unknown tag {unknown.Name} ignored.", "RFC 7489 6.3");
        if (list["rua"] is null) f.Info("No rua tag: nobody receives aggregate reports about mail using this domain.", "RFC 7489 6.3");
        return detail;
    }

    private static string Alignment(string? value, string tag, MailDnsFindings f)
    {
        if (value is null) return "r";
        if (value.ToLowerInvariant() is "r" or "s") return value.ToLowerInvariant();
        f.Fail($"{tag}={value} is not r (relaxed) or s (strict).", "RFC 7489 6.3");
        return "r";
    }

    /// <summary>Reads a comma-separated URI list into <paramref name="into"/>; returns how many were valid mailto: URIs.</summary>
    private static int ReadUris(string? value, string tag, List<ReportUri> into, MailDnsFindings f)
    {
        if (value is null) return 0;
        var count = 0;
        // RFC 7489 6.2: URIs are separated by commas; a comma inside a URI must be %-encoded.
        foreach (var text in value.Split(','))
        {
            if (!ReportUri.TryParse(text, allowSizeLimit: true, out var uri, out var error))
            {
                f.Fail($"{tag}: {error}", "RFC 7489 6.2");
                continue;
            }
            into.Add(uri);
            if (uri.Scheme == "mailto") count++;
            else f.Warn($"{tag}: {uri.Text} is not a mailto: URI; receivers are only required to send reports by mail.", "RFC 7489 6.2");
        }
        return count;
    }

    private static async Task AuthorizeDestinationsAsync(DmarcDetail detail, string policyDomain, MailDnsResolver resolver, MailDnsFindings f, CancellationToken cancellationToken)
    {
        var policyOrg = OrganizationalDomain.Of(policyDomain);
        var destinations = detail.Rua.Concat(detail.Ruf)
            .Where(u => u.Scheme == "mailto" && u.Domain is not null && OrganizationalDomain.Of(u.Domain) != policyOrg)
            .Select(u => u.Domain!).Distinct().ToArray();
        foreach (var destination in destinations)
        {
            // RFC 7489 7.1: a destination outside the policy's organisation must publish <policy-domain>._report._dmarc.<destination>.
            var name = $"{policyDomain}._report._dmarc.{destination}";
            var (lookup, texts) = await resolver.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
            var authorized = lookup.Status != DnsLookupStatus.TempError && texts.Any(IsDmarcRecord);
            detail.ExternalAuthorizations.Add(new DmarcReportAuthorization
            {
                Destination = destination, QueryName = name, LookupStatus = lookup.Status, IsAuthorized = authorized, Error = lookup.Error,
            });
            if (lookup.Status == DnsLookupStatus.TempError)
                f.TempError($"Could not check whether {destination} accepts reports for {policyDomain}: lookup of {name} failed: {lookup.Error}", "RFC 7489 7.1");
            else if (authorized)
                f.Pass($"{destination} has authorised reports about {policyDomain} ({name}).", "RFC 7489 7.1");
            else
                f.Warn($"Reports to {destination} will be ignored: {destination} has not authorised reports about {policyDomain} (no v=DMARC1 record at {name}).", "RFC 7489 7.1");
        }
    }
}

/// <summary>Detail of the DMARC check: the parsed record.</summary>
public sealed class DmarcDetail
{
    /// <summary>The domain whose <c>_dmarc</c> record this is (the organisational domain when the domain has none).</summary>
    public string RecordDomain { get; set; } = "";
    /// <summary>The record judged is the one given with <c>-DmarcRecord</c>, not the published one.</summary>
    public bool IsProposed { get; set; }
    /// <summary>The <c>p</c> disposition (none, quarantine, reject); "none" when absent but rua is valid (RFC 7489 6.6.3); null when absent or invalid.</summary>
    public string? Policy { get; set; }
    /// <summary>The <c>sp</c> disposition for subdomains, <see cref="Policy"/> when absent; null when invalid.</summary>
    public string? SubdomainPolicy { get; set; }
    /// <summary>The <c>pct</c> percentage of failing mail the policy applies to (100 when absent).</summary>
    public int Percent { get; set; } = 100;
    /// <summary>DKIM alignment mode: r (relaxed, default) or s (strict).</summary>
    public string Adkim { get; set; } = "r";
    /// <summary>SPF alignment mode: r (relaxed, default) or s (strict).</summary>
    public string Aspf { get; set; } = "r";
    /// <summary>The <c>fo</c> failure reporting options (default 0).</summary>
    public IReadOnlyList<string> FailureOptions { get; set; } = ["0"];
    /// <summary>The <c>ri</c> aggregate report interval in seconds (default 86400).</summary>
    public uint ReportInterval { get; set; } = 86400;
    /// <summary>Aggregate report destinations (<c>rua</c>) that parsed.</summary>
    public List<ReportUri> Rua { get; } = [];
    /// <summary>Failure report destinations (<c>ruf</c>) that parsed.</summary>
    public List<ReportUri> Ruf { get; } = [];
    /// <summary>Every tag in the order written, unknown ones included.</summary>
    public IReadOnlyList<TagValue> Tags { get; set; } = [];
    /// <summary>For each report destination outside the policy's organisation, whether it authorised the reports (RFC 7489 7.1).</summary>
    public List<DmarcReportAuthorization> ExternalAuthorizations { get; } = [];
}

/// <summary>Whether a report destination outside the policy domain's organisation accepts its reports (RFC 7489 7.1).</summary>
public sealed class DmarcReportAuthorization
{
    /// <summary>The destination domain (from the mailto: URI).</summary>
    public required string Destination { get; init; }
    /// <summary>The name asked: <c>&lt;policy-domain&gt;._report._dmarc.&lt;destination&gt;</c>.</summary>
    public required string QueryName { get; init; }
    /// <summary>How the lookup ended.</summary>
    public DnsLookupStatus LookupStatus { get; init; }
    /// <summary>A v=DMARC1 record was found there.</summary>
    public bool IsAuthorized { get; init; }
    /// <summary>The lookup error, for a temporary failure.</summary>
    public string? Error { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Destination}: {(IsAuthorized ? "authorised" : LookupStatus == DnsLookupStatus.TempError ? "unknown" : "not authorised")}";
}
