namespace MailOps.Dns;

/// <summary>The checks <c>Test-MailDns</c> runs, in the order it reports them.</summary>
public enum MailDnsCheck
{
    /// <summary>MX records, null MX, implicit MX and where the MX hosts point (RFC 5321 5.1, RFC 7505).</summary>
    Mx,
    /// <summary>The SPF record and its evaluation limits (RFC 7208).</summary>
    Spf,
    /// <summary>DKIM key records per selector (RFC 6376, RFC 8463).</summary>
    Dkim,
    /// <summary>The DMARC record (RFC 7489).</summary>
    Dmarc,
    /// <summary>The MTA-STS TXT record and HTTPS policy (RFC 8461).</summary>
    MtaSts,
    /// <summary>The SMTP TLS reporting record (RFC 8460).</summary>
    TlsRpt,
    /// <summary>DANE TLSA records for each MX host (RFC 7672).</summary>
    Dane,
    /// <summary>Reverse DNS of each MX address, forward-confirmed.</summary>
    Ptr,
    /// <summary>Whether the domain's answers are DNSSEC-validated.</summary>
    Dnssec,
    /// <summary>MX addresses on the DNS blocklists given with -Blocklist.</summary>
    Blocklist,
}

/// <summary>A verdict, from best to worst; <see cref="TempError"/> means the verdict could not be reached.</summary>
public enum MailDnsStatus
{
    /// <summary>As it should be.</summary>
    Pass,
    /// <summary>Worth knowing, not a fault.</summary>
    Info,
    /// <summary>Works, but against best practice or close to a limit.</summary>
    Warn,
    /// <summary>Broken or against an RFC's MUST.</summary>
    Fail,
    /// <summary>A DNS timeout or SERVFAIL stopped the check (RFC 7208 2.6.6 temperror); not evidence of a missing record.</summary>
    TempError,
}
