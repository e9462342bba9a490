namespace MailOps.Dns;

/// <summary>Judges the SMTP TLS reporting record at <c>_smtp._tls.&lt;domain&gt;</c> (RFC 8460 3).</summary>
public sealed class TlsRptCheck : IMailDnsCheck
{
    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.TlsRpt;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var f = new MailDnsFindings();
        var domain = context.Domain;
        var name = "_smtp._tls." + domain;
        var (lookup, texts) = await context.Resolver.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (lookup.Status == DnsLookupStatus.TempError)
        {
            f.TempError($"TXT lookup of {name} failed: {lookup.Error}", "RFC 8460 3");
            return f.ToResult(domain, Check, "", null, "RFC 8460 3", null, lookup.NameServer);
        }
        // RFC 8460 3: records that do not begin with "v=TLSRPTv1;" are discarded; more than one left means no TLSRPT.
        var records = texts.Where(IsTlsRptRecord).ToArray();
        if (records.Length == 0)
        {
            f.Info($"No TLS-RPT record at {name}: sending servers do not report TLS failures to you (optional).", "RFC 8460 3");
            return f.ToResult(domain, Check, "", null, "RFC 8460 3", null, lookup.NameServer);
        }
        if (records.Length > 1)
        {
            f.Fail($"{records.Length} TLS-RPT records at {name}: senders then assume the domain does not implement TLS-RPT.", "RFC 8460 3");
            return f.ToResult(domain, Check, "", string.Join(" | ", records), "RFC 8460 3", null, lookup.NameServer);
        }

        var record = records[0];
        var list = TagList.Parse(record, TagListRules.PolicyRecord);
        var detail = new TlsRptDetail { Tags = list.Tags };
        if (list.Error is not null) f.Fail($"The TLS-RPT record is not a field list: {list.Error}", "RFC 8460 3");
        if (!record.StartsWith("v=TLSRPTv1;", StringComparison.Ordinal) && record != "v=TLSRPTv1")
            f.Fail("The record must start with exactly \"v=TLSRPTv1;\".", "RFC 8460 3");
        var rua = list["rua"];
        if (rua is null) f.Fail("The record has no rua field: there is nowhere to send reports.", "RFC 8460 3");
        else
        {
            // RFC 8460 3: tlsrpt-rua = "rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri), each a mailto: or https: URI.
            foreach (var text in rua.Split(','))
            {
                if (!ReportUri.TryParse(text, allowSizeLimit: false, out var uri, out var error)) f.Fail($"rua: {error}", "RFC 8460 3");
                else if (uri.Scheme is not ("mailto" or "https")) f.Fail($"rua: {uri.Text} is neither a mailto: nor an https: URI.", "RFC 8460 3");
                else detail.Rua.Add(uri);
            }
        }
        var pass = $"TLS reports go to {string.Join(", ", detail.Rua)}";
        return f.ToResult(domain, Check, pass, record, "RFC 8460 3", detail, lookup.NameServer);
    }

    private static bool IsTlsRptRecord(string text) =>
        TagList.Parse(text, TagListRules.PolicyRecord).Tags.FirstOrDefault() is { Name: "v", Value: "TLSRPTv1" };
}

/// <summary>Detail of the TLS-RPT check.</summary>
public sealed class TlsRptDetail
{
    /// <summary>The report destinations that parsed (mailto: and https: URIs).</summary>
    public List<ReportUri> Rua { get; } = [];
    /// <summary>Every field in the order written.</summary>
    public IReadOnlyList<TagValue> Tags { get; init; } = [];
}
