using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>Judges the reverse DNS of every MX address: a PTR record that resolves back to the address (forward-confirmed reverse DNS).</summary>
public sealed class PtrCheck : IMailDnsCheck
{
    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Ptr;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var set = await context.GetMailHostsAsync().ConfigureAwait(false);
        var f = new MailDnsFindings();
        var rows = new List<PtrAddress>();
        string? nameServer = set.MxLookup.NameServer;

        if (set.MxLookup.Status == DnsLookupStatus.TempError)
            f.TempError($"MX lookup failed: {set.MxLookup.Error}", "RFC 1912 2.1");
        else if (set.IsNullMx && set.Hosts.Count == 0)
            f.Info("The domain publishes a null MX: no MX address to check.", "RFC 7505 3");
        else if (set.Hosts.Count == 0)
            f.Info("No MX host with an address: nothing to check.", "RFC 1912 2.1");

        foreach (var host in set.Hosts)
        {
            if (host.AddressStatus == DnsLookupStatus.TempError)
                f.TempError($"Address lookup of MX host {host.Host} failed: {host.AddressError}", "RFC 1912 2.1");
            foreach (var address in host.Addresses)
            {
                var range = IpAddressScope.SpecialRange(address);
                if (range is not null)
                {
                    // The MX check already fails such an address; its reverse DNS says nothing about the Internet.
                    f.Info($"{address} ({host.Host}) is a {range} address: reverse DNS not checked.", "RFC 1912 2.1");
                    continue;
                }
                var row = await JudgeAsync(context.Resolver, host.Host, address, f, cancellationToken).ConfigureAwait(false);
                nameServer = row.NameServer ?? nameServer;
                rows.Add(row.Row);
            }
        }

        var pass = $"Reverse DNS of {rows.Count} MX address(es) is forward-confirmed.";
        return f.ToResult(context.Domain, Check, pass, null, "RFC 1912 2.1", new PtrDetail { Addresses = rows }, nameServer);
    }

    private static async Task<(PtrAddress Row, string? NameServer)> JudgeAsync(MailDnsResolver resolver, string host, IPAddress address,
        MailDnsFindings f, CancellationToken cancellationToken)
    {
        var lookup = await ForwardConfirmedReverseDns.LookupAsync(resolver, address, cancellationToken).ConfigureAwait(false);
        var names = lookup.PtrNames;
        PtrAddress Row(bool confirmed, bool generic, MailDnsStatus status) => new()
        {
            Address = address.ToString(), Host = host, PtrNames = names, ForwardConfirmed = confirmed, LooksGeneric = generic, Status = status,
        };

        if (lookup.Status == DnsLookupStatus.TempError && names.Count == 0)
        {
            f.TempError($"Reverse lookup of {address} ({host}) failed: {lookup.Error}", "RFC 1912 2.1");
            return (Row(false, false, MailDnsStatus.TempError), lookup.NameServer);
        }
        if (names.Count == 0)
        {
            // RFC 1912 2.1: every Internet-reachable host should have a PTR; receivers reject mail from addresses without one.
            f.Fail($"{address} ({host}) has no PTR record; many receivers reject mail from it.", "RFC 1912 2.1");
            return (Row(false, false, MailDnsStatus.Fail), lookup.NameServer);
        }

        var confirmedName = lookup.ConfirmedName;
        if (confirmedName is null)
        {
            if (lookup.Status == DnsLookupStatus.TempError)
            {
                f.TempError($"Forward lookup of the PTR name of {address} ({host}) failed: {lookup.Error}", "RFC 1912 2.1");
                return (Row(false, false, MailDnsStatus.TempError), lookup.NameServer);
            }
            f.Fail($"The PTR of {address} ({host}) is {string.Join(", ", names)}, which does not resolve back to {address} (no forward-confirmed reverse DNS).", "RFC 1912 2.1");
            return (Row(false, false, MailDnsStatus.Fail), lookup.NameServer);
        }
        if (GenericPtrName.LooksGeneric(confirmedName, address))
        {
            // M3AAWG rDNS practice: a name built from the address reads as a dynamic/consumer pool and is scored as such.
            f.Warn($"The PTR of {address} ({host}) is {confirmedName}, which looks generic (it spells the address); give the mail server a name of its own.", "RFC 1912 2.1");
            return (Row(true, true, MailDnsStatus.Warn), lookup.NameServer);
        }
        f.Pass($"{address} ({host}) has PTR {confirmedName}, forward-confirmed.", "RFC 1912 2.1");
        return (Row(true, false, MailDnsStatus.Pass), lookup.NameServer);
    }
}

/// <summary>Detail of the PTR check.</summary>
public sealed class PtrDetail
{
    /// <summary>Every MX address checked, in MX preference order.</summary>
    public IReadOnlyList<PtrAddress> Addresses { get; init; } = [];
}

/// <summary>The reverse DNS of one MX address.</summary>
public sealed class PtrAddress
{
    /// <summary>The address.</summary>
    public required string Address { get; init; }
    /// <summary>The MX host it belongs to.</summary>
    public required string Host { get; init; }
    /// <summary>The names its PTR records give (lower case, no trailing dot); empty when none.</summary>
    public IReadOnlyList<string> PtrNames { get; init; } = [];
    /// <summary>One PTR name resolves back to the address (FCrDNS).</summary>
    public bool ForwardConfirmed { get; init; }
    /// <summary>The confirmed PTR name spells the address, as dynamic and consumer pools do.</summary>
    public bool LooksGeneric { get; init; }
    /// <summary>The verdict on this address.</summary>
    public MailDnsStatus Status { get; init; }
}
