namespace MailOps.Dns;

/// <summary>
/// How strictly a <see cref="TagList"/> reads the tag-list grammar of RFC 6376 3.2: DKIM applies it as written,
/// the records that borrow it (DMARC, MTA-STS, TLS-RPT) are read leniently and judged by their own checks.
/// </summary>
public sealed class TagListRules
{
    private TagListRules() { }

    /// <summary>
    /// DKIM key records and signatures (RFC 6376 3.2): case-sensitive names of letters, digits and <c>_</c>,
    /// values of VALCHAR, no empty tag-spec, no duplicated tag, at least one tag.
    /// </summary>
    public static TagListRules Dkim { get; } = new() { CaseSensitiveNames = true, Strict = true };

    /// <summary>
    /// DMARC (RFC 7489 6.4), MTA-STS (RFC 8461 3.1) and TLS-RPT (RFC 8460 3) records: case-insensitive lookup,
    /// names may also hold <c>-</c> and <c>.</c>, any value character, empty tag-specs and duplicates are kept for the check to judge.
    /// </summary>
    public static TagListRules PolicyRecord { get; } = new() { NameExtensions = true };

    /// <summary>True when tag names compare case-sensitively (RFC 6376 3.2); otherwise case-insensitively.</summary>
    public bool CaseSensitiveNames { get; private init; }

    /// <summary>True when tag names may also hold <c>-</c> and <c>.</c>, as MTA-STS extension names do (RFC 8461 3.1).</summary>
    public bool NameExtensions { get; private init; }

    /// <summary>True when empty tag-specs, duplicated tags, values outside VALCHAR and an empty list are errors (RFC 6376 3.2).</summary>
    public bool Strict { get; private init; }

    internal StringComparison NameComparison => CaseSensitiveNames ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
}
