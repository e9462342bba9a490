using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>
/// Forward-confirmed reverse DNS (FCrDNS) of one address: its PTR names, then the first of them whose A/AAAA records
/// give the address back. The one lookup behind Test-MailDns's PTR check and the mail server's client names (Postfix's
/// "verified" client name: <c>unknown</c> unless the forward lookup confirms the PTR).
/// </summary>
public static class ForwardConfirmedReverseDns
{
    /// <summary>Looks <paramref name="address"/> up through <paramref name="resolver"/>.</summary>
    public static async Task<ForwardConfirmedName> LookupAsync(MailDnsResolver resolver, IPAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var reverse = await resolver.QueryAsync(ReverseDnsName.PtrName(address), QueryType.PTR, cancellationToken).ConfigureAwait(false);
        var names = reverse.Records<PtrRecord>().Select(p => p.PtrDomainName.Value.TrimEnd('.').ToLowerInvariant()).Distinct().ToArray();
        if (reverse.Status == DnsLookupStatus.TempError)
            return new ForwardConfirmedName(DnsLookupStatus.TempError, names, null, reverse.Error, reverse.NameServer);
        if (names.Length == 0)
            return new ForwardConfirmedName(DnsLookupStatus.NxDomain, names, null, null, reverse.NameServer);

        string? tempError = null;
        foreach (var name in names)
        {
            var forward = await resolver.QueryAddressesAsync(name, cancellationToken).ConfigureAwait(false);
            if (forward.Addresses.Any(a => a.Equals(address))) return new ForwardConfirmedName(DnsLookupStatus.Found, names, name, null, reverse.NameServer);
            if (forward.Status == DnsLookupStatus.TempError) tempError ??= $"{name}: {forward.Error}";
        }
        return tempError is not null
            ? new ForwardConfirmedName(DnsLookupStatus.TempError, names, null, tempError, reverse.NameServer)
            : new ForwardConfirmedName(DnsLookupStatus.NoData, names, null, null, reverse.NameServer);
    }
}

/// <summary>The outcome of a forward-confirmed reverse DNS lookup.</summary>
/// <param name="Status">Found (a PTR name is confirmed), NxDomain (no PTR), NoData (PTR names, none confirmed) or TempError.</param>
/// <param name="PtrNames">The PTR names (lower case, no trailing dot); empty when none.</param>
/// <param name="ConfirmedName">The first PTR name that resolves back to the address; null when none does.</param>
/// <param name="Error">Why a lookup failed, for TempError.</param>
/// <param name="NameServer">The server that answered the PTR question.</param>
public sealed record ForwardConfirmedName(DnsLookupStatus Status, IReadOnlyList<string> PtrNames, string? ConfirmedName, string? Error, string? NameServer);
