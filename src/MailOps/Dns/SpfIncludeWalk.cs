using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>
/// Walks an SPF record and everything it includes or redirects to, without a message: counts the DNS-querying terms
/// and void lookups as check_host() would at worst (RFC 7208 4.6.4) and reports what an evaluation would stumble on.
/// </summary>
internal sealed class SpfIncludeWalk(MailDnsResolver resolver, MailDnsFindings findings)
{
    // Past this many lookups the verdict is permerror anyway; stop asking DNS so a huge tree cannot run away.
    private const int FollowLimit = 30;

    /// <summary>DNS-querying terms seen so far, through every include and redirect.</summary>
    public int Lookups { get; private set; }
    /// <summary>Lookups that found no records.</summary>
    public int VoidLookups { get; private set; }

    /// <summary>Walks <paramref name="record"/> published (or proposed) for <paramref name="node"/>'s domain.</summary>
    public async Task WalkAsync(SpfIncludeNode node, SpfRecord record, IReadOnlyList<string> path, CancellationToken cancellationToken)
    {
        node.Record = record.Text;
        node.Parsed = record;
        var isRoot = node.Via is null;
        if (!record.IsValid)
        {
            node.State = SpfIncludeState.SyntaxError;
            foreach (var e in record.Errors)
            {
                var where = isRoot ? "SPF syntax error" : $"{node.Via}:{node.Domain} has an SPF syntax error";
                findings.Fail($"{where} at offset {e.Position} ('{e.Term}'): {e.Message}; permerror", e.Reference);
            }
            // RFC 7208 4.6: a syntax error ends evaluation; the checked record is still walked so the user sees all its faults.
            if (!isRoot) return;
        }
        else node.State = SpfIncludeState.Followed;

        // RFC 7208 6.1: redirect is evaluated after every mechanism, and ignored when the record has an "all".
        var redirect = record.Redirect;
        foreach (var term in record.Terms.Where(t => t.CountsAsDnsLookup && !t.IsModifier))
        {
            Count(node);
            var target = term.DomainSpec ?? node.Domain;
            if (term.HasMacro)
            {
                if (term.Name is "include")
                    node.ChildList.Add(new SpfIncludeNode { Domain = target, Via = "include", State = SpfIncludeState.NotFollowed });
                findings.Info($"{term.Text} in {node.Domain} holds a macro; only a real message can expand it.", "RFC 7208 7");
                continue;
            }
            switch (term.Name)
            {
                case "include":
                    await FollowAsync(node, "include", target, path, cancellationToken).ConfigureAwait(false);
                    break;
                case "a":
                {
                    if (Lookups > FollowLimit) break;
                    var (status, _, _, error) = await resolver.QueryAddressesAsync(target, cancellationToken).ConfigureAwait(false);
                    Judge(term, node, target, status, error);
                    break;
                }
                case "mx":
                {
                    if (Lookups > FollowLimit) break;
                    var lookup = await resolver.QueryAsync(target, QueryType.MX, cancellationToken).ConfigureAwait(false);
                    Judge(term, node, target, lookup.Status, lookup.Error);
                    var hosts = lookup.Records<MxRecord>().Count();
                    // RFC 7208 4.6.4: one mx mechanism may look up at most 10 address records.
                    if (hosts > SpfLimits.MxHosts)
                        findings.Fail($"{term.Text} in {node.Domain}: {target} has {hosts} MX hosts, more than the {SpfLimits.MxHosts} an mx mechanism may look up; permerror", "RFC 7208 4.6.4");
                    break;
                }
                case "exists":
                {
                    if (Lookups > FollowLimit) break;
                    var lookup = await resolver.QueryAsync(target, QueryType.A, cancellationToken).ConfigureAwait(false);
                    Judge(term, node, target, lookup.Status, lookup.Error);
                    break;
                }
                case "ptr":
                    findings.Warn($"{term.Text} in {node.Domain}: the ptr mechanism is slow and unreliable and SHOULD NOT be used.", "RFC 7208 5.5");
                    break;
            }
        }
        if (redirect is null) return;
        if (record.All is not null)
        {
            findings.Info($"{redirect.Text} in {node.Domain} is ignored because the record has an 'all' mechanism.", "RFC 7208 6.1");
            return;
        }
        Count(node);
        if (redirect.HasMacro)
        {
            node.ChildList.Add(new SpfIncludeNode { Domain = redirect.DomainSpec!, Via = "redirect", State = SpfIncludeState.NotFollowed });
            findings.Info($"{redirect.Text} in {node.Domain} holds a macro; only a real message can expand it.", "RFC 7208 7");
            return;
        }
        await FollowAsync(node, "redirect", redirect.DomainSpec!, path, cancellationToken).ConfigureAwait(false);
    }

    private void Count(SpfIncludeNode node)
    {
        node.LookupCount++;
        Lookups++;
    }

    private void Judge(SpfTerm term, SpfIncludeNode node, string target, DnsLookupStatus status, string? error)
    {
        if (status == DnsLookupStatus.TempError)
            findings.TempError($"{term.Text} in {node.Domain}: the lookup of {target} failed ({error}); temperror", "RFC 7208 2.6.6");
        else if (status is DnsLookupStatus.NoData or DnsLookupStatus.NxDomain)
        {
            // RFC 7208 4.6.4: a lookup answered with no records is a void lookup; more than 2 is a permerror.
            VoidLookups++;
            findings.Info($"{term.Text} in {node.Domain}: {target} has no records (void lookup).", "RFC 7208 4.6.4");
        }
    }

    private async Task FollowAsync(SpfIncludeNode parent, string via, string target, IReadOnlyList<string> path, CancellationToken cancellationToken)
    {
        var domain = target.TrimEnd('.').ToLowerInvariant();
        var child = new SpfIncludeNode { Domain = domain, Via = via };
        parent.ChildList.Add(child);
        if (path.Contains(domain))
        {
            // Found by the path, not the counter: a loop is a permerror however few lookups it takes to see it.
            child.State = SpfIncludeState.Loop;
            findings.Fail($"{via} loop: {string.Join(" -> ", path.Append(domain))}; permerror", "RFC 7208 4.6.4");
            return;
        }
        if (Lookups > FollowLimit)
        {
            child.State = SpfIncludeState.NotFollowed;
            return;
        }
        var found = await SpfRecordLookup.FindAsync(resolver, domain, cancellationToken).ConfigureAwait(false);
        var lookup = found.Lookup;
        if (found.Status == SpfRecordLookupStatus.TempError)
        {
            child.State = SpfIncludeState.TempError;
            findings.TempError($"{via}:{domain}: the SPF lookup failed ({lookup.Error}); temperror, not a missing record", "RFC 7208 2.6.6");
            return;
        }
        if (lookup.IsVoid) VoidLookups++;
        var spf = found.Records;
        if (found.Status == SpfRecordLookupStatus.NoRecord)
        {
            child.State = SpfIncludeState.NoRecord;
            var reference = via == "include" ? "RFC 7208 5.2" : "RFC 7208 6.1";
            findings.Fail($"{via}:{domain} has no SPF record; permerror", reference);
            return;
        }
        if (found.Status == SpfRecordLookupStatus.MultipleRecords)
        {
            child.State = SpfIncludeState.MultipleRecords;
            findings.Fail($"{via}:{domain} publishes {spf.Count} SPF records; permerror", "RFC 7208 4.5");
            return;
        }
        await WalkAsync(child, SpfRecord.Parse(spf[0]), [.. path, domain], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The qualifier of the "all" that ends evaluation of <paramref name="node"/>, following a redirect; null when none.</summary>
    public static SpfQualifier? EffectiveAll(SpfIncludeNode node)
    {
        var all = node.Parsed?.All;
        if (all is not null) return all.Qualifier;
        var redirect = node.Children.FirstOrDefault(c => c.Via == "redirect" && c.State == SpfIncludeState.Followed);
        return redirect is null ? null : EffectiveAll(redirect);
    }
}
