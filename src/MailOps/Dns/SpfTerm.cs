namespace MailOps.Dns;

/// <summary>One term of an SPF record: a directive (qualifier and mechanism) or a modifier (RFC 7208 4.6.1).</summary>
public sealed record SpfTerm
{
    /// <summary>The term as written.</summary>
    public required string Text { get; init; }
    /// <summary>Character offset of the term in the record text (0-based).</summary>
    public required int Position { get; init; }
    /// <summary>True for a modifier (<c>name=value</c>), false for a mechanism.</summary>
    public required bool IsModifier { get; init; }
    /// <summary>The qualifier of a mechanism (<see cref="SpfQualifier.Pass"/> when none is written); null for a modifier.</summary>
    public SpfQualifier? Qualifier { get; init; }
    /// <summary>The mechanism or modifier name, lower case (<c>include</c>, <c>ip4</c>, <c>redirect</c>...).</summary>
    public required string Name { get; init; }
    /// <summary>Everything after the name and its <c>:</c> or <c>=</c> (domain-spec, network and prefix lengths), or "" when none.</summary>
    public string Value { get; init; } = "";
    /// <summary>The domain the term names (include, exists, a, mx, ptr, redirect, exp), without prefix lengths; null when it names none.</summary>
    public string? DomainSpec { get; init; }
    /// <summary>The IPv4 prefix length written after <c>/</c> (ip4, a, mx), or null.</summary>
    public int? Ip4PrefixLength { get; init; }
    /// <summary>The IPv6 prefix length written after <c>/</c> (ip6) or <c>//</c> (a, mx), or null.</summary>
    public int? Ip6PrefixLength { get; init; }

    /// <summary>True when evaluating the term asks DNS, so it counts against the limit of 10 (RFC 7208 4.6.4).</summary>
    public bool CountsAsDnsLookup => Name is "include" or "a" or "mx" or "ptr" or "exists" || (IsModifier && Name == "redirect");

    /// <summary>True when <see cref="DomainSpec"/> holds a macro and so cannot be followed without a message to evaluate (RFC 7208 7).</summary>
    public bool HasMacro => DomainSpec?.Contains('%') == true;

    /// <inheritdoc />
    public override string ToString() => Text;
}
