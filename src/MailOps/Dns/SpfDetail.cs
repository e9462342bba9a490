namespace MailOps.Dns;

/// <summary>Detail of the SPF check: the parsed record, the include tree and the counts behind the RFC 7208 4.6.4 limits.</summary>
public sealed class SpfDetail
{
    /// <summary>The parsed terms of the checked (published or proposed) record.</summary>
    public IReadOnlyList<SpfTerm> Terms { get; init; } = [];
    /// <summary>The syntax errors of the checked record, each with its position.</summary>
    public IReadOnlyList<SpfSyntaxError> SyntaxErrors { get; init; } = [];
    /// <summary>The include tree, rooted at the checked domain; null when there was no record.</summary>
    public SpfIncludeNode? IncludeTree { get; init; }
    /// <summary>DNS-querying terms counted through every include and redirect (limit 10, RFC 7208 4.6.4).</summary>
    public int DnsLookupCount { get; init; }
    /// <summary>Lookups that found no records (limit 2, RFC 7208 4.6.4).</summary>
    public int VoidLookupCount { get; init; }
    /// <summary>The qualifier of the <c>all</c> that ends evaluation (following redirect), or null when there is none (default neutral).</summary>
    public SpfQualifier? AllQualifier { get; init; }
    /// <summary>True when the record judged is the one given with -SpfRecord rather than the published one.</summary>
    public bool IsProposed { get; init; }
}
