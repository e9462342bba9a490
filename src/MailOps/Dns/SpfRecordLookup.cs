namespace MailOps.Dns;

/// <summary>What looking up a domain's SPF record found (RFC 7208 4.4, 4.5).</summary>
public enum SpfRecordLookupStatus
{
    /// <summary>Exactly one <c>v=spf1</c> TXT record.</summary>
    Found,
    /// <summary>The domain does not exist or publishes no SPF record: the result none.</summary>
    NoRecord,
    /// <summary>More than one SPF record: permerror (RFC 7208 4.5).</summary>
    MultipleRecords,
    /// <summary>The lookup failed (timeout, SERVFAIL): temperror (RFC 7208 4.4).</summary>
    TempError,
}

/// <summary>
/// Finds the one SPF record of a domain: TXT only (the SPF RR type is obsolete, RFC 7208 3.1), strings joined
/// (RFC 7208 3.3), records not beginning with <c>v=spf1</c> discarded (RFC 7208 4.5). Used by the checker and the evaluator.
/// </summary>
/// <param name="Status">What was found.</param>
/// <param name="Lookup">The DNS lookup behind it.</param>
/// <param name="Records">The SPF records found (one when <see cref="SpfRecordLookupStatus.Found"/>).</param>
public sealed record SpfRecordLookup(SpfRecordLookupStatus Status, DnsLookup Lookup, IReadOnlyList<string> Records)
{
    /// <summary>The record text when exactly one was found.</summary>
    public string? Record => Status == SpfRecordLookupStatus.Found ? Records[0] : null;

    /// <summary>Looks up <paramref name="domain"/>'s SPF record through <paramref name="resolver"/>.</summary>
    public static async Task<SpfRecordLookup> FindAsync(MailDnsResolver resolver, string domain, CancellationToken cancellationToken)
    {
        var (lookup, texts) = await resolver.QueryTxtAsync(domain, cancellationToken).ConfigureAwait(false);
        if (lookup.Status == DnsLookupStatus.TempError) return new(SpfRecordLookupStatus.TempError, lookup, []);
        var spf = texts.Where(SpfRecord.IsSpf).ToArray();
        var status = spf.Length switch { 0 => SpfRecordLookupStatus.NoRecord, 1 => SpfRecordLookupStatus.Found, _ => SpfRecordLookupStatus.MultipleRecords };
        return new(status, lookup, spf);
    }
}
