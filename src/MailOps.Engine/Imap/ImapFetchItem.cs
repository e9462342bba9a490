namespace MailOps.Engine.Imap;

/// <summary>
/// One FETCH attribute (RFC 3501 6.4.5): a name such as FLAGS or ENVELOPE, or BODY[section]&lt;partial&gt; with its
/// section (part numbers, then "", HEADER, HEADER.FIELDS[.NOT] with fields, TEXT or MIME) and whether it is PEEK;
/// BINARY[part]&lt;partial&gt;, BINARY.PEEK and BINARY.SIZE (RFC 3516) with part numbers only.
/// </summary>
internal sealed record ImapFetchItem(string Name)
{
    public bool Peek { get; init; }
    public IReadOnlyList<uint> Part { get; init; } = [];
    public string Text { get; init; } = "";
    public IReadOnlyList<string> Fields { get; init; } = [];
    public uint? Origin { get; init; }
    public uint? Count { get; init; }

    /// <summary>True for a body section (BODY[...], BODY.PEEK[...], BINARY[...] or BINARY.PEEK[...]).</summary>
    public bool IsSection => Name is "BODY[]" or "BINARY[]";

    /// <summary>The section as the response names it: BODY[1.HEADER.FIELDS (FROM)]&lt;0&gt;, BINARY[1.2]&lt;0&gt;, BINARY.SIZE[1].</summary>
    public string ResponseName
    {
        get
        {
            var spec = string.Join('.', Part);
            if (Text.Length > 0) spec += (spec.Length > 0 ? "." : "") + Text;
            if (Fields.Count > 0) spec += " (" + string.Join(' ', Fields) + ")";
            return (Name == "BINARY[]" ? "BINARY" : Name == "BINARY.SIZE" ? Name : "BODY") + "[" + spec + "]" + (Origin is { } o ? "<" + o.ToString(System.Globalization.CultureInfo.InvariantCulture) + ">" : "");
        }
    }

    /// <summary>The &lt;origin.count&gt; octets of <paramref name="section"/> this item asks for; all of it without a partial.</summary>
    public byte[] Partial(byte[] section)
    {
        if (Origin is not { } origin) return section;
        var from = (int)Math.Min(origin, section.Length);
        return section.AsSpan(from, (int)Math.Min((long)Count!.Value, section.Length - from)).ToArray();
    }

    /// <summary>Parses the attribute or list of attributes after FETCH's sequence set, macros expanded (RFC 3501 6.4.5).</summary>
    public static List<ImapFetchItem> ParseList(ImapParser p)
    {
        var items = new List<ImapFetchItem>();
        if (p.TryChar('('))
        {
            do items.Add(Parse(p));
            while (p.TryChar(' '));
            p.Expect(')');
            return items;
        }
        var first = Parse(p);
        switch (first.Name)
        {
            case "ALL": return [new("FLAGS"), new("INTERNALDATE"), new("RFC822.SIZE"), new("ENVELOPE")];
            case "FAST": return [new("FLAGS"), new("INTERNALDATE"), new("RFC822.SIZE")];
            case "FULL": return [new("FLAGS"), new("INTERNALDATE"), new("RFC822.SIZE"), new("ENVELOPE"), new("BODY")];
            default: return [first];
        }
    }

    private static ImapFetchItem Parse(ImapParser p)
    {
        var name = p.Word().ToUpperInvariant();
        switch (name)
        {
            case "ALL" or "FAST" or "FULL" or "FLAGS" or "INTERNALDATE" or "RFC822.SIZE" or "UID" or "ENVELOPE" or "BODYSTRUCTURE" or "RFC822"
                or "RFC822.HEADER" or "RFC822.TEXT" or "MODSEQ":
                return new ImapFetchItem(name);
            case "BODY" when p.Peek != '[':
                return new ImapFetchItem(name);
            case "BODY" or "BODY.PEEK":
                break;
            case "BINARY" or "BINARY.PEEK" or "BINARY.SIZE":
                return ParseBinary(p, name);
            default:
                throw new ImapSyntaxException("Unknown FETCH attribute " + name);
        }
        p.Expect('[');
        var part = new List<uint>();
        var text = "";
        var fields = new List<string>();
        if (!p.TryChar(']'))
        {
            if (p.Peek is >= '0' and <= '9')
            {
                part.Add(p.NonZeroNumber());
                while (p.TryChar('.'))
                {
                    if (p.Peek is >= '0' and <= '9') part.Add(p.NonZeroNumber());
                    else
                    {
                        text = p.Word().ToUpperInvariant();
                        break;
                    }
                }
            }
            else text = p.Word().ToUpperInvariant();
            if (text is not ("" or "HEADER" or "HEADER.FIELDS" or "HEADER.FIELDS.NOT" or "TEXT" or "MIME") || (text == "MIME" && part.Count == 0))
                throw new ImapSyntaxException("Invalid BODY[] section.");
            if (text.StartsWith("HEADER.FIELDS", StringComparison.Ordinal))
            {
                p.Space();
                p.Expect('(');
                do fields.Add(p.AStringText().ToUpperInvariant());
                while (p.TryChar(' '));
                p.Expect(')');
            }
            p.Expect(']');
        }
        uint? origin = null, count = null;
        if (p.TryChar('<'))
        {
            origin = p.Number();
            p.Expect('.');
            count = p.NonZeroNumber();
            p.Expect('>');
        }
        return new ImapFetchItem("BODY[]") { Peek = name == "BODY.PEEK", Part = part, Text = text, Fields = fields, Origin = origin, Count = count };
    }

    // RFC 3516 4.2: section-binary = "[" [section-part] "]"; BINARY.SIZE takes no partial.
    private static ImapFetchItem ParseBinary(ImapParser p, string name)
    {
        p.Expect('[');
        var part = new List<uint>();
        if (!p.TryChar(']'))
        {
            do part.Add(p.NonZeroNumber());
            while (p.TryChar('.'));
            p.Expect(']');
        }
        uint? origin = null, count = null;
        if (name != "BINARY.SIZE" && p.TryChar('<'))
        {
            origin = p.Number();
            p.Expect('.');
            count = p.NonZeroNumber();
            p.Expect('>');
        }
        return new ImapFetchItem(name == "BINARY.SIZE" ? name : "BINARY[]") { Peek = name == "BINARY.PEEK", Part = part, Origin = origin, Count = count };
    }
}
