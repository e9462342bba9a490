using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>
/// SPF's check_host() (RFC 7208 4): is <c>ip</c> allowed to send mail for <c>domain</c>? Reads records with
/// <see cref="SpfRecord"/> and counts with <see cref="SpfLimits"/>, as the record checker does; all DNS goes through
/// <see cref="MailDnsResolver"/>. Macros expand the letters s l o d i p h v (p is always "unknown": no PTR validation);
/// explanations (exp) are not fetched, as RFC 7208 6.2 allows.
/// </summary>
public sealed class SpfEvaluator(MailDnsResolver resolver)
{
    /// <summary>Checks the MAIL FROM identity; for the null sender, the HELO identity as <c>postmaster@helo</c> (RFC 7208 2.4).</summary>
    /// <param name="ip">The SMTP client's address.</param>
    /// <param name="mailFrom">The MAIL FROM address, empty for the null reverse-path.</param>
    /// <param name="helo">The EHLO/HELO name.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    public Task<SpfVerdict> CheckSenderAsync(IPAddress ip, string mailFrom, string helo, CancellationToken cancellationToken = default)
    {
        var at = mailFrom.LastIndexOf('@');
        if (mailFrom.Length == 0 || at < 0)
            return CheckHostAsync(ip, helo, "postmaster@" + helo, helo, cancellationToken);
        // RFC 7208 4.3: an empty local-part is taken as "postmaster".
        var sender = at == 0 ? "postmaster" + mailFrom : mailFrom;
        return CheckHostAsync(ip, mailFrom[(at + 1)..], sender, helo, cancellationToken);
    }

    /// <summary>check_host(ip, domain, sender) of RFC 7208 4.</summary>
    public async Task<SpfVerdict> CheckHostAsync(IPAddress ip, string domain, string sender, string? helo = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ip);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(sender);
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var run = new Evaluation(resolver, ip, sender, helo ?? "unknown", cancellationToken);
        var name = domain.TrimEnd('.').ToLowerInvariant();
        try
        {
            var (result, mechanism, reason) = await run.CheckHostAsync(name, 0).ConfigureAwait(false);
            return new SpfVerdict(result, name, sender, mechanism, reason, run.Lookups, run.VoidLookups);
        }
        catch (SpfAbort abort)
        {
            return new SpfVerdict(abort.Result, name, sender, abort.Mechanism, abort.Message, run.Lookups, run.VoidLookups);
        }
    }

    /// <summary>Ends an evaluation with temperror or permerror from any depth.</summary>
    private sealed class SpfAbort(SpfResult result, string reason, string? mechanism = null) : Exception(reason)
    {
        public SpfResult Result { get; } = result;
        public string? Mechanism { get; } = mechanism;
    }

    /// <summary>One evaluation: the counters are shared by every include and redirect (RFC 7208 4.6.4).</summary>
    private sealed class Evaluation(MailDnsResolver resolver, IPAddress ip, string sender, string helo, CancellationToken cancellationToken)
    {
        public int Lookups { get; private set; }
        public int VoidLookups { get; private set; }

        public async Task<(SpfResult Result, string? Mechanism, string Reason)> CheckHostAsync(string domain, int depth)
        {
            // RFC 7208 4.3: a domain that is not a multi-label name of valid labels gives none.
            if (!IsCheckableDomain(domain)) return (SpfResult.None, null, $"'{domain}' is not a domain name");
            var found = await SpfRecordLookup.FindAsync(resolver, domain, cancellationToken).ConfigureAwait(false);
            switch (found.Status)
            {
                case SpfRecordLookupStatus.TempError:
                    throw new SpfAbort(SpfResult.TempError, $"SPF lookup of {domain} failed ({found.Lookup.Error})");
                case SpfRecordLookupStatus.NoRecord:
                    return (SpfResult.None, null, $"{domain} has no SPF record");
                case SpfRecordLookupStatus.MultipleRecords:
                    throw new SpfAbort(SpfResult.PermError, $"{domain} has {found.Records.Count} SPF records");
            }
            var record = SpfRecord.Parse(found.Record!);
            if (!record.IsValid)
            {
                var e = record.Errors[0];
                throw new SpfAbort(SpfResult.PermError, $"syntax error in {domain}'s record at '{e.Term}': {e.Message}");
            }

            foreach (var term in record.Terms.Where(t => !t.IsModifier))
            {
                if (term.CountsAsDnsLookup) CountLookup(term);
                if (await MatchesAsync(term, domain, depth).ConfigureAwait(false))
                {
                    var result = term.Qualifier switch
                    {
                        SpfQualifier.Fail => SpfResult.Fail,
                        SpfQualifier.SoftFail => SpfResult.SoftFail,
                        SpfQualifier.Neutral => SpfResult.Neutral,
                        _ => SpfResult.Pass,
                    };
                    return (result, term.Text, $"{ip} matched {term.Text} in {domain}");
                }
            }

            // RFC 7208 6.1: redirect applies when no mechanism matched; with an "all" anywhere it is ignored.
            if (record.Redirect is { } redirect && record.All is null)
            {
                CountLookup(redirect);
                var target = Expand(redirect.DomainSpec!, domain);
                var (result, mechanism, reason) = await CheckHostAsync(target, depth + 1).ConfigureAwait(false);
                // RFC 7208 6.1: a redirect to a domain without a record is a permerror.
                if (result == SpfResult.None) throw new SpfAbort(SpfResult.PermError, $"redirect={target}: {reason}", redirect.Text);
                return (result, mechanism, reason);
            }
            // RFC 7208 4.7: no match and no redirect gives neutral.
            return (SpfResult.Neutral, null, $"no mechanism of {domain} matched {ip}");
        }

        private void CountLookup(SpfTerm term)
        {
            Lookups++;
            if (SpfLimits.OverDnsLookups(Lookups))
                throw new SpfAbort(SpfResult.PermError, $"more than {SpfLimits.DnsLookups} DNS lookups (at {term.Text})", term.Text);
        }

        private void CountVoid(SpfTerm term, DnsLookupStatus status)
        {
            if (status is not (DnsLookupStatus.NoData or DnsLookupStatus.NxDomain)) return;
            VoidLookups++;
            if (SpfLimits.OverVoidLookups(VoidLookups))
                throw new SpfAbort(SpfResult.PermError, $"more than {SpfLimits.VoidLookups} void lookups (at {term.Text})", term.Text);
        }

        private static void ThrowIfTemp(SpfTerm term, DnsLookup lookup)
        {
            if (lookup.Status == DnsLookupStatus.TempError)
                throw new SpfAbort(SpfResult.TempError, $"{term.Text}: lookup of {lookup.Name} failed ({lookup.Error})", term.Text);
        }

        private async Task<bool> MatchesAsync(SpfTerm term, string domain, int depth)
        {
            switch (term.Name)
            {
                case "all":
                    return true;
                case "ip4" or "ip6":
                {
                    var network = term.Value.Split('/')[0];
                    var prefix = term.Name == "ip4" ? term.Ip4PrefixLength ?? 32 : term.Ip6PrefixLength ?? 128;
                    return InNetwork(IPAddress.Parse(network), prefix);
                }
                case "include":
                {
                    var target = Expand(term.DomainSpec!, domain);
                    SpfResult result;
                    string reason;
                    try { (result, _, reason) = await CheckHostAsync(target, depth + 1).ConfigureAwait(false); }
                    catch (SpfAbort abort) when (abort.Mechanism is null) { throw new SpfAbort(abort.Result, abort.Message, term.Text); }
                    // RFC 7208 5.2: the table of include results.
                    return result switch
                    {
                        SpfResult.Pass => true,
                        SpfResult.Fail or SpfResult.SoftFail or SpfResult.Neutral => false,
                        SpfResult.TempError => throw new SpfAbort(SpfResult.TempError, reason, term.Text),
                        _ => throw new SpfAbort(SpfResult.PermError, $"include:{target}: {reason}", term.Text),
                    };
                }
                case "a":
                {
                    var target = term.DomainSpec is null ? domain : Expand(term.DomainSpec, domain);
                    var lookup = await AddressesAsync(target).ConfigureAwait(false);
                    ThrowIfTemp(term, lookup);
                    CountVoid(term, lookup.Status);
                    return Addresses(lookup).Any(a => InNetwork(a, PrefixFor(term)));
                }
                case "mx":
                {
                    var target = term.DomainSpec is null ? domain : Expand(term.DomainSpec, domain);
                    var lookup = await resolver.QueryAsync(target, QueryType.MX, cancellationToken).ConfigureAwait(false);
                    ThrowIfTemp(term, lookup);
                    CountVoid(term, lookup.Status);
                    var hosts = lookup.Records<MxRecord>().Select(r => r.Exchange.Value.TrimEnd('.')).Where(h => h.Length > 0).ToArray();
                    // RFC 7208 4.6.4: more than 10 MX hosts is a permerror.
                    if (hosts.Length > SpfLimits.MxHosts)
                        throw new SpfAbort(SpfResult.PermError, $"{term.Text}: {target} has {hosts.Length} MX hosts, more than {SpfLimits.MxHosts}", term.Text);
                    foreach (var host in hosts)
                    {
                        var addresses = await AddressesAsync(host).ConfigureAwait(false);
                        ThrowIfTemp(term, addresses);
                        if (Addresses(addresses).Any(a => InNetwork(a, PrefixFor(term)))) return true;
                    }
                    return false;
                }
                case "exists":
                {
                    // RFC 7208 5.7: always an A lookup, whatever the client's address family.
                    var target = Expand(term.DomainSpec!, domain);
                    var lookup = await resolver.QueryAsync(target, QueryType.A, cancellationToken).ConfigureAwait(false);
                    ThrowIfTemp(term, lookup);
                    CountVoid(term, lookup.Status);
                    return lookup.Records<ARecord>().Any();
                }
                case "ptr":
                {
                    var target = term.DomainSpec is null ? domain : Expand(term.DomainSpec, domain);
                    var names = await ValidatedNamesAsync().ConfigureAwait(false);
                    return names.Any(n => n == target || n.EndsWith("." + target, StringComparison.Ordinal));
                }
                default:
                    return false;
            }
        }

        /// <summary>RFC 7208 5.5: PTR names of the client whose forward lookup gives the client back (at most 10 tried).</summary>
        private async Task<List<string>> ValidatedNamesAsync()
        {
            var lookup = await resolver.QueryAsync(ReverseDnsName.PtrName(ip), QueryType.PTR, cancellationToken).ConfigureAwait(false);
            var validated = new List<string>();
            foreach (var name in lookup.Records<PtrRecord>().Select(p => p.PtrDomainName.Value.TrimEnd('.').ToLowerInvariant()).Take(SpfLimits.PtrNames))
            {
                var addresses = await AddressesAsync(name).ConfigureAwait(false);
                if (Addresses(addresses).Any(a => a.Equals(ip))) validated.Add(name);
            }
            return validated;
        }

        // RFC 7208 5.3: only the record type of the client's address family is asked for.
        private Task<DnsLookup> AddressesAsync(string host) =>
            resolver.QueryAsync(host, ip.AddressFamily == AddressFamily.InterNetwork ? QueryType.A : QueryType.AAAA, cancellationToken);

        private static IEnumerable<IPAddress> Addresses(DnsLookup lookup) =>
            lookup.Records<ARecord>().Select(r => r.Address).Concat(lookup.Records<AaaaRecord>().Select(r => r.Address));

        private int PrefixFor(SpfTerm term) => ip.AddressFamily == AddressFamily.InterNetwork ? term.Ip4PrefixLength ?? 32 : term.Ip6PrefixLength ?? 128;

        private bool InNetwork(IPAddress network, int prefix) =>
            network.AddressFamily == ip.AddressFamily && new IPNetwork(Mask(network, prefix), prefix).Contains(ip);

        private static IPAddress Mask(IPAddress address, int prefix)
        {
            var bytes = address.GetAddressBytes();
            for (var i = 0; i < bytes.Length; i++)
            {
                var keep = Math.Clamp(prefix - i * 8, 0, 8);
                bytes[i] &= (byte)(0xFF << (8 - keep));
            }
            return new IPAddress(bytes);
        }

        /// <summary>Expands a domain-spec's macros (RFC 7208 7) and shortens the result to 253 characters (RFC 7208 7.3).</summary>
        public string Expand(string spec, string domain)
        {
            if (!spec.Contains('%')) return spec.TrimEnd('.').ToLowerInvariant();
            var result = new StringBuilder();
            for (var i = 0; i < spec.Length; i++)
            {
                var c = spec[i];
                if (c != '%') { result.Append(c); continue; }
                var next = spec[++i];
                switch (next)
                {
                    case '%': result.Append('%'); continue;
                    case '_': result.Append(' '); continue;
                    case '-': result.Append("%20"); continue;
                }
                var close = spec.IndexOf('}', i);
                result.Append(ExpandMacro(spec[(i + 1)..close], domain));
                i = close;
            }
            var name = result.ToString().TrimEnd('.');
            // RFC 7208 7.3: drop left-hand labels until the name fits in 253 characters.
            while (name.Length > 253 && name.IndexOf('.') is var dot and >= 0) name = name[(dot + 1)..];
            return name;
        }

        // macro-expand = "%{" macro-letter transformers *delimiter "}"
        private string ExpandMacro(string body, string domain)
        {
            var letter = body[0];
            var at = sender.LastIndexOf('@');
            var value = char.ToLowerInvariant(letter) switch
            {
                's' => sender,
                'l' => at > 0 ? sender[..at] : "postmaster",
                'o' => sender[(at + 1)..],
                'd' => domain,
                'i' => ip.AddressFamily == AddressFamily.InterNetwork ? ip.ToString() : string.Join('.', Nibbles(ip)),
                'p' => "unknown",
                'v' => ip.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6",
                'h' => helo,
                _ => "",
            };
            var i = 1;
            while (i < body.Length && char.IsAsciiDigit(body[i])) i++;
            var keep = i > 1 ? int.Parse(body[1..i], CultureInfo.InvariantCulture) : int.MaxValue;
            var reverse = i < body.Length && body[i] is 'r' or 'R';
            if (reverse) i++;
            var delimiters = i < body.Length ? body[i..].ToCharArray() : ['.'];
            // RFC 7208 7.3: split on the delimiters, reverse and/or keep the rightmost labels, join with dots.
            var parts = value.Split(delimiters);
            if (reverse) Array.Reverse(parts);
            if (keep < parts.Length) parts = parts[^keep..];
            var expanded = string.Join('.', parts);
            // RFC 7208 7.3: an upper-case macro letter URL-escapes the value.
            return char.IsUpper(letter) ? Uri.EscapeDataString(expanded) : expanded;
        }

        private static IEnumerable<string> Nibbles(IPAddress address) =>
            address.GetAddressBytes().SelectMany(b => new[] { (b >> 4).ToString("x", CultureInfo.InvariantCulture), (b & 0xF).ToString("x", CultureInfo.InvariantCulture) });

        private static bool IsCheckableDomain(string domain)
        {
            var labels = domain.Split('.');
            return domain.Length is > 0 and <= 253 && labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63);
        }
    }
}
