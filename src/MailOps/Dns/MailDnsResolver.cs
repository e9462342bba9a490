using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>
/// The one DNS resolver wrapper of MailOps: every lookup of every check goes through it, so that
/// <c>-NameServer</c> is honoured everywhere and temporary failures are never mistaken for "no record".
/// </summary>
public sealed class MailDnsResolver
{
    private readonly LookupClient _client;

    /// <summary>Creates a resolver that asks the given servers (<c>host[:port]</c>), or the system resolver when none are given.</summary>
    /// <param name="nameServers">Servers as <c>host</c>, <c>host:port</c>, <c>[v6]:port</c>; null or empty for the system resolver.</param>
    /// <param name="timeout">Time to wait for one answer; 3 seconds by default.</param>
    public MailDnsResolver(IEnumerable<string>? nameServers = null, TimeSpan? timeout = null)
    {
        var servers = (nameServers ?? []).Select(ParseNameServer).ToArray();
        var options = servers.Length > 0
            ? new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
            : new LookupClientOptions();
        options.UseCache = true;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = false;
        options.ContinueOnEmptyResponse = false;
        options.UseTcpFallback = true;
        options.Timeout = timeout ?? TimeSpan.FromSeconds(3);
        options.Retries = 1;
        options.RequestDnsSecRecords = true;
        _client = new LookupClient(options);
        NameServers = _client.NameServers.Select(n => new IPEndPoint(IPAddress.Parse(n.Address), n.Port)).ToArray();
        UsesSystemConfiguration = servers.Length == 0;
    }

    /// <summary>True when no servers were given and this resolver asks the ones /etc/resolv.conf names.</summary>
    public bool UsesSystemConfiguration { get; }

    /// <summary>Called with one line for every question asked and how it ended (for -Verbose); may be called from any thread.</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>The servers this resolver asks, in order.</summary>
    public IReadOnlyList<IPEndPoint> NameServers { get; }

    /// <summary>Parses <c>host</c>, <c>host:port</c>, <c>v4:port</c>, <c>[v6]:port</c> or a bare IPv6 address; a host name is resolved once.</summary>
    /// <exception cref="FormatException">The text is not a server specification.</exception>
    public static IPEndPoint ParseNameServer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spec = text.Trim();
        if (IPEndPoint.TryParse(spec, out var ep))
        {
            if (ep.Port == 0) ep.Port = 53;
            return ep;
        }
        var host = spec;
        var port = 53;
        var colon = spec.LastIndexOf(':');
        if (colon > 0 && spec.IndexOf(':') == colon)
        {
            host = spec[..colon];
            if (!int.TryParse(spec[(colon + 1)..], out port) || port is < 1 or > 65535)
                throw new FormatException($"'{text}' has no valid port after the colon.");
        }
        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
            throw new FormatException($"'{text}' is not a name server (host[:port]).");
        IPAddress[] addresses;
        try { addresses = System.Net.Dns.GetHostAddresses(host); }
        catch (SocketException e) { throw new FormatException($"Name server '{host}' does not resolve: {e.Message}", e); }
        if (addresses.Length == 0) throw new FormatException($"Name server '{host}' has no address.");
        return new IPEndPoint(addresses[0], port);
    }

    /// <summary>Looks up one name and type. Never throws for DNS trouble: a timeout, SERVFAIL or REFUSED is a <see cref="DnsLookupStatus.TempError"/>.</summary>
    public async Task<DnsLookup> QueryAsync(string name, QueryType type, CancellationToken cancellationToken = default)
    {
        var lookup = await AskAsync(name, type, cancellationToken).ConfigureAwait(false);
        Trace?.Invoke($"{type} {name} -> {lookup.NameServer}: {lookup.Status}{(lookup.Error is null ? "" : " (" + lookup.Error + ")")}, {lookup.Answers.Count} answer(s)");
        return lookup;
    }

    private async Task<DnsLookup> AskAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        // DnsClient drops system name servers it cannot reach (in a network namespace with only loopback, all of them)
        // and then refuses to ask at all: that is a resolver that cannot answer now, a temporary error, not a crash.
        if (NameServers.Count == 0 || _client.NameServers.Count == 0)
            return new DnsLookup(name, type, DnsLookupStatus.TempError, [], "", "no usable name server configured", false);
        try
        {
            var response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            var server = response.NameServer?.ToString() ?? "";
            var code = response.Header.ResponseCode;
            if (code == DnsHeaderResponseCode.NotExistentDomain)
                return new DnsLookup(name, type, DnsLookupStatus.NxDomain, [], server, null, response.Header.IsAuthenticData);
            if (code != DnsHeaderResponseCode.NoError)
                return new DnsLookup(name, type, DnsLookupStatus.TempError, [], server, $"{code} from {server}", false);
            var answers = response.Answers.ToArray();
            var status = answers.Any(a => a.RecordType == (ResourceRecordType)type) ? DnsLookupStatus.Found : DnsLookupStatus.NoData;
            return new DnsLookup(name, type, status, answers, server, null, response.Header.IsAuthenticData);
        }
        catch (DnsResponseException e)
        {
            return new DnsLookup(name, type, DnsLookupStatus.TempError, [], string.Join(",", NameServers), e.Message, false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DnsLookup(name, type, DnsLookupStatus.TempError, [], string.Join(",", NameServers), "timeout", false);
        }
        catch (SocketException e)
        {
            return new DnsLookup(name, type, DnsLookupStatus.TempError, [], string.Join(",", NameServers), e.Message, false);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "servers")
        {
            return new DnsLookup(name, type, DnsLookupStatus.TempError, [], "", "no usable name server configured", false);
        }
    }

    /// <summary>Looks up TXT records and joins the strings of each record (RFC 7208 3.3), one entry per record.</summary>
    public async Task<(DnsLookup Lookup, IReadOnlyList<string> Texts)> QueryTxtAsync(string name, CancellationToken cancellationToken = default)
    {
        var lookup = await QueryAsync(name, QueryType.TXT, cancellationToken).ConfigureAwait(false);
        var texts = lookup.Records<TxtRecord>().Select(t => string.Concat(t.Text)).ToArray();
        return (lookup, texts);
    }

    /// <summary>Resolves A and AAAA of a host; the status is the worse of the two lookups.</summary>
    public async Task<(DnsLookupStatus Status, IReadOnlyList<IPAddress> Addresses, bool ViaCname, string? Error)> QueryAddressesAsync(string host, CancellationToken cancellationToken = default)
    {
        var a = QueryAsync(host, QueryType.A, cancellationToken);
        var aaaa = QueryAsync(host, QueryType.AAAA, cancellationToken);
        var results = await Task.WhenAll(a, aaaa).ConfigureAwait(false);
        var addresses = results[0].Records<ARecord>().Select(r => r.Address)
            .Concat(results[1].Records<AaaaRecord>().Select(r => r.Address)).ToArray();
        var viaCname = results.Any(r => r.Answers.OfType<CNameRecord>().Any());
        var temp = results.FirstOrDefault(r => r.Status == DnsLookupStatus.TempError);
        if (addresses.Length > 0) return (DnsLookupStatus.Found, addresses, viaCname, null);
        if (temp is not null) return (DnsLookupStatus.TempError, [], viaCname, temp.Error);
        var nx = results.All(r => r.Status == DnsLookupStatus.NxDomain);
        return (nx ? DnsLookupStatus.NxDomain : DnsLookupStatus.NoData, [], viaCname, null);
    }
}
