using DnsClient;
using DnsClient.Protocol;

namespace MailOps.Dns;

/// <summary>What one DNS question got: records, no data, no domain, or a temporary error.</summary>
public enum DnsLookupStatus
{
    /// <summary>Records of the asked type were returned.</summary>
    Found,
    /// <summary>The name exists but has no record of this type.</summary>
    NoData,
    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NxDomain,
    /// <summary>Timeout, SERVFAIL, REFUSED or a network error: the answer is unknown (RFC 7208 temperror).</summary>
    TempError,
}

/// <summary>The result of one DNS question.</summary>
/// <param name="Name">The name asked.</param>
/// <param name="Type">The type asked.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Answers">The answer section (may hold CNAMEs before the records).</param>
/// <param name="NameServer">The server that answered, as address:port.</param>
/// <param name="Error">Why the lookup failed, for <see cref="DnsLookupStatus.TempError"/>.</param>
/// <param name="AuthenticData">The AD bit: the resolver validated the answer with DNSSEC.</param>
public sealed record DnsLookup(string Name, QueryType Type, DnsLookupStatus Status, IReadOnlyList<DnsResourceRecord> Answers,
    string NameServer, string? Error, bool AuthenticData)
{
    /// <summary>The answer records of one record class (for example <see cref="TxtRecord"/>).</summary>
    public IEnumerable<T> Records<T>() where T : DnsResourceRecord => Answers.OfType<T>();

    /// <summary>True when the name does not exist or has no records of this type ("void lookup", RFC 7208 4.6.4).</summary>
    public bool IsVoid => Status is DnsLookupStatus.NoData or DnsLookupStatus.NxDomain;
}
