using System.Text;

namespace MailOps.Dns;

/// <summary>
/// Judges the SPF record (RFC 7208): exactly one, valid syntax, within the limits of 10 DNS lookups and 2 void lookups
/// counted through every include and redirect, no loops, and an <c>all</c> that does not let the world in.
/// With <see cref="MailDnsCheckOptions.SpfRecord"/> it judges that text before it is published.
/// </summary>
public sealed class SpfCheck : IMailDnsCheck
{
    private const int LookupLimit = SpfLimits.DnsLookups;
    private const int LookupWarnAt = 8;
    private const int VoidLimit = SpfLimits.VoidLookups;
    // RFC 7208 3.4: past about 450 bytes the whole answer may no longer fit a 512-byte UDP reply.
    private const int RecordWarnBytes = 450;
    // RFC 1035 3.3: a TXT character-string holds at most 255 bytes.
    private const int StringLimit = 255;

    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Spf;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var f = new MailDnsFindings();
        var domain = context.Domain;
        var proposed = context.Options.SpfRecord;
        var nameServer = context.Resolver.NameServers.FirstOrDefault()?.ToString();
        string text;
        if (proposed is not null)
        {
            text = JoinProposal(proposed, f);
            if (!SpfRecord.IsSpf(text))
            {
                f.Fail("The proposed record does not begin with v=spf1, so receivers would ignore it.", "RFC 7208 4.5");
                return f.ToResult(domain, Check, "", text, "RFC 7208 4.5", new SpfDetail { IsProposed = true }, nameServer);
            }
        }
        else
        {
            // RFC 7208 3.1: SPF is published as TXT only; the SPF RR type 99 is obsolete and not looked up.
            var found = await SpfRecordLookup.FindAsync(context.Resolver, domain, cancellationToken).ConfigureAwait(false);
            var lookup = found.Lookup;
            nameServer = lookup.NameServer;
            if (found.Status == SpfRecordLookupStatus.TempError)
            {
                // RFC 7208 2.6.6: an unanswered lookup is a temperror, never evidence that no record exists.
                f.TempError($"The SPF lookup of {domain} failed ({lookup.Error}); temperror", "RFC 7208 2.6.6");
                return f.ToResult(domain, Check, "", null, "RFC 7208 2.6.6", null, nameServer);
            }
            // RFC 7208 4.5: records not beginning with "v=spf1" are discarded.
            var spf = found.Records;
            if (found.Status == SpfRecordLookupStatus.NoRecord)
            {
                var why = lookup.Status == DnsLookupStatus.NxDomain ? $"the domain {domain} does not exist" : $"{domain} publishes no v=spf1 TXT record";
                f.Fail($"No SPF record: {why}; receivers get the result none.", "RFC 7208 4.5");
                return f.ToResult(domain, Check, "", null, "RFC 7208 4.5", null, nameServer);
            }
            if (found.Status == SpfRecordLookupStatus.MultipleRecords)
            {
                f.Fail($"{spf.Count} SPF records are published; there must be exactly one, so receivers get permerror.", "RFC 7208 4.5");
                return f.ToResult(domain, Check, "", string.Join(" | ", spf), "RFC 7208 4.5", null, nameServer);
            }
            text = spf[0];
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > RecordWarnBytes)
            f.Warn($"The record is {bytes} bytes; over {RecordWarnBytes} the DNS answer may not fit in 512 bytes of UDP.", "RFC 7208 3.4");

        var record = SpfRecord.Parse(text);
        var root = new SpfIncludeNode { Domain = domain };
        var walk = new SpfIncludeWalk(context.Resolver, f);
        await walk.WalkAsync(root, record, [domain], cancellationToken).ConfigureAwait(false);

        // RFC 7208 4.6.4: at most 10 DNS-querying terms in the whole evaluation, includes and redirects counted.
        if (SpfLimits.OverDnsLookups(walk.Lookups))
            f.Fail($"{walk.Lookups} DNS lookups, over the limit of {LookupLimit}; receivers get permerror.", "RFC 7208 4.6.4");
        else if (walk.Lookups >= LookupWarnAt)
            f.Warn($"{walk.Lookups} of {LookupLimit} DNS lookups: close to the limit, one more include may break SPF.", "RFC 7208 4.6.4");
        // RFC 7208 4.6.4: more than 2 lookups that find nothing is a permerror.
        if (SpfLimits.OverVoidLookups(walk.VoidLookups))
            f.Fail($"{walk.VoidLookups} void lookups (names with no records), over the limit of {VoidLimit}; permerror.", "RFC 7208 4.6.4");
        else if (walk.VoidLookups == VoidLimit)
            f.Warn($"{walk.VoidLookups} void lookups (names with no records): at the limit of {VoidLimit}.", "RFC 7208 4.6.4");

        var all = SpfIncludeWalk.EffectiveAll(root);
        var hasRedirect = record.All is null && record.Redirect is not null;
        switch (all)
        {
            case SpfQualifier.Pass:
                f.Fail("+all authorises every host on the Internet to send as this domain.", "RFC 7208 5.1");
                break;
            case SpfQualifier.Neutral:
                f.Warn("?all says nothing about unlisted senders: receivers treat forged mail as neutral.", "RFC 7208 5.1");
                break;
            case null when !hasRedirect:
                f.Warn("No 'all' and no redirect: unlisted senders get the default result neutral.", "RFC 7208 4.7");
                break;
        }

        var allText = all switch
        {
            SpfQualifier.Fail => "-all",
            SpfQualifier.SoftFail => "~all",
            SpfQualifier.Neutral => "?all",
            SpfQualifier.Pass => "+all",
            _ => "no all",
        };
        if (hasRedirect && all is not null) allText += $" via redirect={record.Redirect!.DomainSpec}";
        var detail = new SpfDetail
        {
            Terms = record.Terms,
            SyntaxErrors = record.Errors,
            IncludeTree = root,
            DnsLookupCount = walk.Lookups,
            VoidLookupCount = walk.VoidLookups,
            AllQualifier = all,
            IsProposed = proposed is not null,
        };
        var pass = $"SPF ok: {walk.Lookups} of {LookupLimit} DNS lookups, {allText}";
        return f.ToResult(domain, Check, pass, text, "RFC 7208", detail, nameServer);
    }

    /// <summary>
    /// Turns a proposed record into the text receivers would see: zone-file style quoted strings are joined (RFC 7208 3.3)
    /// and each checked against the 255-byte string limit; a single long unquoted text gets the advice to split it.
    /// </summary>
    private static string JoinProposal(string proposal, MailDnsFindings f)
    {
        var trimmed = proposal.Trim();
        if (!trimmed.StartsWith('"'))
        {
            var length = Encoding.UTF8.GetByteCount(trimmed);
            if (length > StringLimit)
                f.Warn($"The proposed record is {length} characters in one string; a TXT string holds at most {StringLimit}, so it must be split into strings of at most {StringLimit} characters: {SplitIntoStrings(trimmed)}", "RFC 7208 3.3");
            return trimmed;
        }
        var strings = ReadQuotedStrings(trimmed, out var error);
        if (error is not null) f.Fail($"The proposed record is not a list of quoted strings: {error}", "RFC 7208 3.3");
        for (var i = 0; i < strings.Count; i++)
        {
            var length = Encoding.UTF8.GetByteCount(strings[i]);
            if (length > StringLimit)
                f.Fail($"String {i + 1} of the proposed record is {length} characters; a TXT string holds at most {StringLimit}, so it must be split into strings of at most {StringLimit} characters.", "RFC 7208 3.3");
        }
        // RFC 7208 3.3: the strings are joined without adding spaces.
        return string.Concat(strings);
    }

    /// <summary>Reads <c>"..." "..."</c> as a little state machine: outside a string, inside, or after a backslash.</summary>
    private static List<string> ReadQuotedStrings(string text, out string? error)
    {
        var strings = new List<string>();
        var current = new StringBuilder();
        var inside = false;
        error = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!inside)
            {
                if (c == '"') { inside = true; current.Clear(); }
                else if (!char.IsWhiteSpace(c)) { error = $"unexpected '{c}' at {i} outside quotes"; return strings; }
                continue;
            }
            if (c == '\\' && i + 1 < text.Length) { current.Append(text[++i]); continue; }
            if (c == '"') { inside = false; strings.Add(current.ToString()); continue; }
            current.Append(c);
        }
        if (inside) error = "a quote is not closed";
        return strings;
    }

    private static string SplitIntoStrings(string text)
    {
        var parts = new List<string>();
        for (var i = 0; i < text.Length; i += StringLimit) parts.Add("\"" + text[i..Math.Min(text.Length, i + StringLimit)] + "\"");
        return string.Join(" ", parts);
    }
}
