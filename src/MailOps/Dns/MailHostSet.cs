using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>One host that receives mail for a domain, as the MX lookup found it.</summary>
public sealed class MailHost
{
    /// <summary>MX preference (lower first); 0 for an implicit MX.</summary>
    public int Preference { get; init; }
    /// <summary>The host name without the trailing dot.</summary>
    public required string Host { get; init; }
    /// <summary>Its IPv4 and IPv6 addresses.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; init; } = [];
    /// <summary>The MX target is an alias (CNAME), which RFC 2181 10.3 forbids.</summary>
    public bool IsCname { get; init; }
    /// <summary>The MX target is written as an address, not a name.</summary>
    public bool IsAddressLiteral { get; init; }
    /// <summary>How the address lookup of the host ended.</summary>
    public DnsLookupStatus AddressStatus { get; init; }
    /// <summary>Text of a temporary error while looking up the host's addresses.</summary>
    public string? AddressError { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Preference} {Host} [{string.Join(", ", Addresses)}]";
}

/// <summary>The mail hosts of a domain: the MX records in preference order, or the implicit MX of RFC 5321 5.1.</summary>
public sealed class MailHostSet
{
    /// <summary>The MX lookup itself.</summary>
    public required DnsLookup MxLookup { get; init; }
    /// <summary>The hosts in preference order (the domain itself for an implicit MX); empty for a null MX.</summary>
    public IReadOnlyList<MailHost> Hosts { get; init; } = [];
    /// <summary>The domain publishes a null MX (RFC 7505): it accepts no mail.</summary>
    public bool IsNullMx { get; init; }
    /// <summary>A null MX is published together with other MX records (RFC 7505 3 forbids it).</summary>
    public bool NullMxMixed { get; init; }
    /// <summary>No MX exists and the domain's own address records serve as implicit MX.</summary>
    public bool IsImplicit { get; init; }

    /// <summary>Looks up the MX records of <paramref name="domain"/> and the addresses of every target.</summary>
    public static async Task<MailHostSet> LookupAsync(string domain, MailDnsResolver resolver, CancellationToken cancellationToken)
    {
        var mx = await resolver.QueryAsync(domain, QueryType.MX, cancellationToken).ConfigureAwait(false);
        if (mx.Status == DnsLookupStatus.TempError) return new MailHostSet { MxLookup = mx };
        var records = mx.Records<MxRecord>().OrderBy(r => r.Preference).ToArray();
        if (records.Length == 0)
        {
            if (mx.Status == DnsLookupStatus.NxDomain) return new MailHostSet { MxLookup = mx };
            var own = await HostAsync(domain, 0, resolver, cancellationToken).ConfigureAwait(false);
            return new MailHostSet { MxLookup = mx, IsImplicit = true, Hosts = own.AddressStatus == DnsLookupStatus.Found || own.AddressStatus == DnsLookupStatus.TempError ? [own] : [] };
        }
        var nulls = records.Where(r => Trim(r.Exchange.Value).Length == 0).ToArray();
        var real = records.Except(nulls).ToArray();
        var hosts = await Task.WhenAll(real.Select(r => HostAsync(Trim(r.Exchange.Value), r.Preference, resolver, cancellationToken))).ConfigureAwait(false);
        return new MailHostSet
        {
            MxLookup = mx,
            Hosts = hosts,
            IsNullMx = nulls.Length > 0,
            NullMxMixed = nulls.Length > 0 && real.Length > 0,
        };
    }

    private static string Trim(string name) => name.TrimEnd('.').ToLowerInvariant();

    private static async Task<MailHost> HostAsync(string host, int preference, MailDnsResolver resolver, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
            return new MailHost { Host = host, Preference = preference, IsAddressLiteral = true, Addresses = [literal], AddressStatus = DnsLookupStatus.Found };
        var (status, addresses, viaCname, error) = await resolver.QueryAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        return new MailHost { Host = host, Preference = preference, Addresses = addresses, IsCname = viaCname, AddressStatus = status, AddressError = error };
    }
}
