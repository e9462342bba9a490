namespace MailOps.Dns;

/// <summary>How far the check got with one domain of the include tree.</summary>
public enum SpfIncludeState
{
    /// <summary>The SPF record was found and followed.</summary>
    Followed,
    /// <summary>The domain has no SPF record (or no TXT records at all).</summary>
    NoRecord,
    /// <summary>The domain publishes more than one SPF record.</summary>
    MultipleRecords,
    /// <summary>The record has syntax errors.</summary>
    SyntaxError,
    /// <summary>The domain is already being evaluated higher up the tree: an include or redirect loop.</summary>
    Loop,
    /// <summary>The lookup failed with a timeout or SERVFAIL.</summary>
    TempError,
    /// <summary>The domain holds a macro, which only a real message can expand.</summary>
    NotFollowed,
}

/// <summary>One domain of the SPF include tree: the record it publishes and the domains it includes or redirects to.</summary>
public sealed class SpfIncludeNode
{
    /// <summary>The domain whose record this is.</summary>
    public required string Domain { get; init; }
    /// <summary>How this domain was reached: <c>include</c>, <c>redirect</c>, or null for the checked domain.</summary>
    public string? Via { get; init; }
    /// <summary>The SPF record text, or null when none was found.</summary>
    public string? Record { get; internal set; }
    /// <summary>How far the check got with this domain.</summary>
    public SpfIncludeState State { get; internal set; }
    /// <summary>DNS-querying terms (include, a, mx, ptr, exists, redirect) in this record alone (RFC 7208 4.6.4).</summary>
    public int LookupCount { get; internal set; }
    /// <summary>DNS-querying terms in this record and everything below it.</summary>
    public int TotalLookupCount => LookupCount + Children.Sum(c => c.TotalLookupCount);
    /// <summary>The domains this record includes or redirects to, in record order.</summary>
    public IReadOnlyList<SpfIncludeNode> Children => ChildList;

    internal List<SpfIncludeNode> ChildList { get; } = [];
    internal SpfRecord? Parsed { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Via ?? "spf"}:{Domain} ({State}, {LookupCount} lookup(s))";
}
