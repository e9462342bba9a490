using MailOps.Dns;

namespace MailOps.Dkim;

/// <summary>The tags of a DKIM key record (RFC 6376 3.6.1), read from its tag list without judging them.</summary>
public sealed class DkimKeyRecord
{
    /// <summary>The parsed tag list.</summary>
    public required TagList Tags { get; init; }
    /// <summary>The <c>v=</c> value, or null when absent.</summary>
    public string? Version { get; init; }
    /// <summary>True when <c>v=</c> is absent or the first tag, as RFC 6376 3.6.1 requires.</summary>
    public bool VersionFirst { get; init; }
    /// <summary>The <c>k=</c> key type, "rsa" when absent (RFC 6376 3.6.1).</summary>
    public required string KeyType { get; init; }
    /// <summary>The <c>h=</c> hash algorithms the key may sign with; empty when absent, meaning any.</summary>
    public IReadOnlyList<string> HashAlgorithms { get; init; } = [];
    /// <summary>The <c>s=</c> service types; <c>*</c> when absent.</summary>
    public IReadOnlyList<string> ServiceTypes { get; init; } = ["*"];
    /// <summary>The <c>t=</c> flags (<c>y</c> testing, <c>s</c> strict identity).</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
    /// <summary>The <c>p=</c> value with folding white space removed; null when the tag is missing, empty when the key is revoked.</summary>
    public string? PublicKey { get; init; }

    /// <summary>True when the record carries <c>t=y</c>.</summary>
    public bool Testing => Flags.Contains("y");

    /// <summary>True when <c>p=</c> is present and empty: the key has been revoked (RFC 6376 3.6.1).</summary>
    public bool Revoked => PublicKey is { Length: 0 };

    /// <summary>Parses a key record; fails only when the tag list itself is malformed (RFC 6376 3.2).</summary>
    public static bool TryParse(string text, out DkimKeyRecord? record, out string error)
    {
        record = null;
        var tags = TagList.Parse(text, TagListRules.Dkim);
        error = tags.Error ?? "";
        if (tags.Error is not null) return false;
        static IReadOnlyList<string> Colons(string value) =>
            value.Split(':', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var p = tags["p"];
        record = new DkimKeyRecord
        {
            Tags = tags,
            Version = tags["v"],
            VersionFirst = !tags.Contains("v") || tags.Tags[0].Name == "v",
            KeyType = tags["k"] ?? "rsa",
            HashAlgorithms = tags["h"] is { } h ? Colons(h) : [],
            ServiceTypes = tags["s"] is { } s ? Colons(s) : ["*"],
            Flags = tags["t"] is { } t ? Colons(t) : [],
            // RFC 6376 3.6.1: p= is base64string, which may hold folding white space.
            PublicKey = p is null ? null : string.Concat(p.Where(c => !char.IsWhiteSpace(c))),
        };
        return true;
    }
}
