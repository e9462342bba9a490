using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>Looks every MX address up in the DNS blocklists given with <c>-Blocklist</c> (RFC 5782).</summary>
public sealed class BlocklistCheck : IMailDnsCheck
{
    /// <summary>The entry every DNSBL must list, so that a client can tell the list works (RFC 5782 5).</summary>
    public static readonly IPAddress TestEntry = IPAddress.Parse("127.0.0.2");

    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Blocklist;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var f = new MailDnsFindings();
        var lists = context.Options.Blocklists.Select(z => z.Trim().TrimEnd('.').ToLowerInvariant()).Where(z => z.Length > 0).Distinct().ToArray();
        if (lists.Length == 0)
        {
            f.Info("No blocklists given (-Blocklist): nothing looked up.", "RFC 5782 2.1");
            return f.ToResult(context.Domain, Check, "", null, "RFC 5782 2.1", new BlocklistDetail(), null);
        }

        var set = await context.GetMailHostsAsync().ConfigureAwait(false);
        string? nameServer = set.MxLookup.NameServer;
        if (set.MxLookup.Status == DnsLookupStatus.TempError)
            f.TempError($"MX lookup failed: {set.MxLookup.Error}", "RFC 5782 2.1");
        else if (set.IsNullMx && set.Hosts.Count == 0)
            f.Info("The domain publishes a null MX: no MX address to look up.", "RFC 7505 3");
        else if (set.Hosts.Count == 0)
            f.Info("No MX host with an address: nothing to look up.", "RFC 5782 2.1");

        var addresses = set.Hosts.SelectMany(h => h.Addresses.Select(a => (h.Host, Address: a))).Distinct().ToArray();
        var entries = new List<BlocklistEntry>();
        var silentLists = new List<string>();
        foreach (var list in lists)
        {
            if (addresses.Length == 0) break;
            // RFC 5782 5: a working list answers its test entry 127.0.0.2; one that does not is down or gone.
            var test = await LookupAsync(context.Resolver, TestEntry, list, cancellationToken).ConfigureAwait(false);
            nameServer = test.NameServer;
            if (test.Status is DnsLookupStatus.NxDomain or DnsLookupStatus.NoData)
            {
                silentLists.Add(list);
                f.Warn($"The list {list} does not answer its test entry 127.0.0.2: it may be down, retired or mistyped, so 'not listed' means nothing.", "RFC 5782 5");
            }
            foreach (var (host, address) in addresses)
            {
                var entry = await JudgeAsync(context.Resolver, host, address, list, f, cancellationToken).ConfigureAwait(false);
                entries.Add(entry);
            }
        }

        var pass = $"{addresses.Length} MX address(es) listed on none of {lists.Length} blocklist(s): {string.Join(", ", lists)}.";
        var detail = new BlocklistDetail { Entries = entries, ListsWithoutTestEntry = silentLists };
        return f.ToResult(context.Domain, Check, pass, null, "RFC 5782 2.1", detail, nameServer);
    }

    /// <summary>The name to look an address up under in one list: reversed octets, or nibbles for IPv6 (RFC 5782 2.1, 2.4).</summary>
    public static string QueryName(IPAddress address, string list) => $"{ReverseDnsName.Labels(address)}.{list.TrimEnd('.')}";

    private static Task<DnsLookup> LookupAsync(MailDnsResolver resolver, IPAddress address, string list, CancellationToken cancellationToken) =>
        resolver.QueryAsync(QueryName(address, list), QueryType.A, cancellationToken);

    /// <summary>
    /// What <paramref name="list"/> says about <paramref name="address"/>: listed (an A record of 127.0.0.2 and up, with
    /// its TXT reason), not listed, refused, misbehaving, or unanswered. The one lookup behind this check and the mail
    /// server's reject_rbl_client; a list that cannot be asked or that refuses never counts as a listing (RFC 5782 2.1).
    /// </summary>
    /// <param name="resolver">The resolver to ask.</param>
    /// <param name="address">The address looked up.</param>
    /// <param name="list">The blocklist zone.</param>
    /// <param name="host">The host name reported with the address in the entry (the MX host, or the SMTP client's name).</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    public static async Task<BlocklistEntry> LookupAsync(MailDnsResolver resolver, IPAddress address, string list, string host,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(address);
        var lookup = await LookupAsync(resolver, address, list, cancellationToken).ConfigureAwait(false);
        var codes = lookup.Records<ARecord>().Select(r => r.Address).ToArray();
        BlocklistEntry Entry(bool listed, MailDnsStatus status, string? reason = null) => new()
        {
            Address = address.ToString(), Host = host, Blocklist = list, Listed = listed,
            Codes = codes.Select(c => c.ToString()).ToArray(), Reason = reason, Status = status, Error = lookup.Error,
        };

        // A list that cannot be asked says nothing about the address: never a listing.
        if (lookup.Status == DnsLookupStatus.TempError) return Entry(false, MailDnsStatus.TempError);
        if (codes.Length == 0) return Entry(false, MailDnsStatus.Pass);
        // RFC 5782 2.1: list entries are A records in 127.0.0.0/8; a refusal code or anything else is no listing.
        if (codes.Any(IsRefusalCode) || codes.Any(c => !IsListingCode(c))) return Entry(false, MailDnsStatus.Warn);
        // RFC 5782 2.1: a TXT record at the same name gives the reason.
        var (txt, texts) = await resolver.QueryTxtAsync(QueryName(address, list), cancellationToken).ConfigureAwait(false);
        var reason = txt.Status == DnsLookupStatus.Found && texts.Count > 0 ? string.Join(" ", texts) : null;
        return Entry(true, MailDnsStatus.Fail, reason);
    }

    private static async Task<BlocklistEntry> JudgeAsync(MailDnsResolver resolver, string host, IPAddress address, string list,
        MailDnsFindings f, CancellationToken cancellationToken)
    {
        var entry = await LookupAsync(resolver, address, list, host, cancellationToken).ConfigureAwait(false);
        var codes = entry.Codes.Select(IPAddress.Parse).ToArray();
        switch (entry.Status)
        {
            case MailDnsStatus.TempError:
                f.TempError($"Lookup of {address} ({host}) in {list} failed: {entry.Error}", "RFC 5782 2.1");
                break;
            case MailDnsStatus.Warn when codes.Any(IsRefusalCode):
                f.Warn($"The blocklist {list} refused the query for {address} (code {string.Join(", ", codes.Where(IsRefusalCode).Select(Describe))}); this is not a listing.", "RFC 5782 2.1");
                break;
            case MailDnsStatus.Warn:
                f.Warn($"The blocklist {list} answered {string.Join(", ", codes.Where(c => !IsListingCode(c)))} for {address}, which is no listing code (127.0.0.2 and up): the list is misbehaving or wildcarding.", "RFC 5782 2.1");
                break;
            case MailDnsStatus.Fail:
                f.Fail($"{address} ({host}) is listed on {list} ({string.Join(", ", codes.Select(c => c.ToString()))}){(entry.Reason is null ? "" : ": " + entry.Reason)}.", "RFC 5782 2.1");
                break;
        }
        return entry;
    }

    // 127.0.0.2 - 127.255.255.255 without the refusal block: the list's own listing codes (RFC 5782 2.1).
    private static bool IsListingCode(IPAddress code)
    {
        var b = code.GetAddressBytes();
        return b.Length == 4 && b[0] == 127 && !(b[1] == 0 && b[2] == 0 && b[3] < 2) && !IsRefusalCode(code);
    }

    // 127.255.255.0/24: what Spamhaus and others answer instead of a listing when they refuse to answer.
    private static bool IsRefusalCode(IPAddress code)
    {
        var b = code.GetAddressBytes();
        return b.Length == 4 && b[0] == 127 && b[1] == 255 && b[2] == 255;
    }

    private static string Describe(IPAddress code) => code.GetAddressBytes()[3] switch
    {
        252 => $"{code}: typing error in the list name",
        254 => $"{code}: query via a public or open resolver",
        255 => $"{code}: excessive number of queries",
        _ => code.ToString(),
    };
}

/// <summary>Detail of the blocklist check.</summary>
public sealed class BlocklistDetail
{
    /// <summary>One row per MX address per list.</summary>
    public IReadOnlyList<BlocklistEntry> Entries { get; init; } = [];
    /// <summary>The lists that did not answer their test entry 127.0.0.2 (RFC 5782 5).</summary>
    public IReadOnlyList<string> ListsWithoutTestEntry { get; init; } = [];
}

/// <summary>What one blocklist says about one MX address.</summary>
public sealed class BlocklistEntry
{
    /// <summary>The MX address.</summary>
    public required string Address { get; init; }
    /// <summary>The MX host it belongs to.</summary>
    public required string Host { get; init; }
    /// <summary>The blocklist zone asked.</summary>
    public required string Blocklist { get; init; }
    /// <summary>The list names the address as a spam source.</summary>
    public bool Listed { get; init; }
    /// <summary>The A records the list answered (listing, refusal or stray codes); empty when not listed.</summary>
    public IReadOnlyList<string> Codes { get; init; } = [];
    /// <summary>The list's TXT reason for a listing, if it gives one.</summary>
    public string? Reason { get; init; }
    /// <summary>The verdict on this address in this list.</summary>
    public MailDnsStatus Status { get; init; }
    /// <summary>Why the lookup failed, for a <see cref="MailDnsStatus.TempError"/>; null otherwise.</summary>
    public string? Error { get; init; }
}
