namespace MailOps.Dns;

/// <summary>Judges the MX records: present, null MX, implicit MX, and where each target points.</summary>
public sealed class MxCheck : IMailDnsCheck
{
    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Mx;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var set = await context.GetMailHostsAsync().ConfigureAwait(false);
        var f = new MailDnsFindings();
        var mx = set.MxLookup;
        var record = mx.Status == DnsLookupStatus.Found
            ? string.Join("; ", mx.Records<DnsClient.Protocol.MxRecord>().OrderBy(r => r.Preference).Select(r => $"{r.Preference} {r.Exchange.Value}"))
            : null;
        var detail = new MxDetail { Hosts = set.Hosts, IsNullMx = set.IsNullMx, IsImplicit = set.IsImplicit };

        if (mx.Status == DnsLookupStatus.TempError)
            f.TempError($"MX lookup failed: {mx.Error}", "RFC 5321 5.1");
        else if (mx.Status == DnsLookupStatus.NxDomain)
            f.Fail($"The domain {context.Domain} does not exist (NXDOMAIN).", "RFC 5321 5.1");
        else if (set.IsNullMx)
        {
            if (set.NullMxMixed) f.Fail("A null MX is published together with other MX records.", "RFC 7505 3");
            else f.Info("The domain publishes a null MX: it accepts no mail.", "RFC 7505 3");
        }
        else if (set.IsImplicit)
        {
            if (set.Hosts.Count == 0) f.Fail("No MX record and no A/AAAA record: the domain cannot receive mail.", "RFC 5321 5.1");
            else if (set.Hosts[0].AddressStatus == DnsLookupStatus.TempError) f.TempError($"No MX record; the implicit MX lookup failed: {set.Hosts[0].AddressError}", "RFC 5321 5.1");
            else f.Warn($"No MX record: mail goes to the domain's own address ({string.Join(", ", set.Hosts[0].Addresses)}) as implicit MX.", "RFC 5321 5.1");
        }

        foreach (var host in set.Hosts.Where(_ => !set.IsImplicit))
        {
            if (host.IsAddressLiteral)
            {
                f.Fail($"MX target {host.Host} is an address literal; an MX must name a host.", "RFC 5321 5.1");
                continue;
            }
            if (host.IsCname) f.Fail($"MX target {host.Host} is an alias (CNAME); an MX must point to the canonical name.", "RFC 2181 10.3");
            switch (host.AddressStatus)
            {
                case DnsLookupStatus.TempError:
                    f.TempError($"Address lookup of MX target {host.Host} failed: {host.AddressError}", "RFC 5321 5.1");
                    continue;
                case DnsLookupStatus.NoData or DnsLookupStatus.NxDomain:
                    f.Fail($"MX target {host.Host} has no A or AAAA record.", "RFC 5321 5.1");
                    continue;
            }
            foreach (var address in host.Addresses)
            {
                var range = IpAddressScope.SpecialRange(address);
                if (range is not null) f.Fail($"MX target {host.Host} resolves to {address}, a {range} address unreachable from the Internet.", "RFC 5321 5.1");
            }
        }
        if (set.Hosts.Count > 0 && !set.IsImplicit && set.Hosts.Count == 1)
            f.Info("Only one MX host: no fallback when it is down.", "RFC 5321 5.1");

        var pass = $"{set.Hosts.Count} MX host(s): {string.Join(", ", set.Hosts.Select(h => h.Host))}";
        return f.ToResult(context.Domain, Check, pass, record, "RFC 5321 5.1", detail, mx.NameServer);
    }
}

/// <summary>Detail of the MX check.</summary>
public sealed class MxDetail
{
    /// <summary>The mail hosts in preference order.</summary>
    public IReadOnlyList<MailHost> Hosts { get; init; } = [];
    /// <summary>A null MX is published.</summary>
    public bool IsNullMx { get; init; }
    /// <summary>The domain's own address serves as implicit MX.</summary>
    public bool IsImplicit { get; init; }
}
