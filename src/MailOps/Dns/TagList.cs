namespace MailOps.Dns;

/// <summary>
/// A <c>tag=value; tag=value</c> list (RFC 6376 3.2), as DKIM key records and signatures carry it and DMARC (RFC 7489 6.4),
/// MTA-STS (RFC 8461 3.1) and TLS-RPT (RFC 8460 3) records reuse it; tags keep their order.
/// </summary>
public sealed class TagList
{
    private readonly List<TagValue> _tags;

    private TagList(List<TagValue> tags, TagListRules rules, string? error)
    {
        _tags = tags;
        Rules = rules;
        Error = error;
    }

    /// <summary>The tags in the order written; when <see cref="Error"/> is set, those read before the problem.</summary>
    public IReadOnlyList<TagValue> Tags => _tags;

    /// <summary>The rules the list was read with; they also decide how names compare.</summary>
    public TagListRules Rules { get; }

    /// <summary>Why the text is not a tag list (first problem found, with its column), or null when it is one.</summary>
    public string? Error { get; }

    /// <summary>The value of the first tag named <paramref name="name"/>, or null when absent; names compare as <see cref="Rules"/> say.</summary>
    public string? this[string name] => IndexOf(name) is >= 0 and var i ? _tags[i].Value : null;

    /// <summary>True when the tag is present, even with an empty value.</summary>
    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>The position of the first tag named <paramref name="name"/>, or -1; names compare as <see cref="Rules"/> say.</summary>
    public int IndexOf(string name) => _tags.FindIndex(t => string.Equals(t.Name, name, Rules.NameComparison));

    private enum State { BeforeName, Name, AfterName, Value }

    /// <summary>Reads <paramref name="text"/> by <paramref name="rules"/>; never throws on bad input, a malformed list has an <see cref="Error"/>.</summary>
    /// <remarks>
    /// A small state machine over the characters: white space around names and values is folding white space and dropped,
    /// white space inside a value is kept (RFC 6376 3.2: tag-value = [ tval *( 1*(WSP / FWS) tval ) ]).
    /// </remarks>
    public static TagList Parse(string text, TagListRules rules)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(rules);
        var list = new List<TagValue>();
        TagList Failed(string error) => new(list, rules, error);
        var state = State.BeforeName;
        var name = new System.Text.StringBuilder();
        var value = new System.Text.StringBuilder();

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var space = c is ' ' or '\t' or '\r' or '\n';
            switch (state)
            {
                case State.BeforeName:
                    if (space) continue;
                    // RFC 6376 3.2 allows one trailing ";"; the records that borrow the grammar are read past empty tag-specs.
                    if (c == ';' && !rules.Strict) continue;
                    // RFC 6376 3.2: tag-name = ALPHA *ALNUMPUNC
                    if (!char.IsAsciiLetter(c)) return Failed(Describe(c, i, "a tag name must start with a letter"));
                    name.Clear().Append(c);
                    state = State.Name;
                    break;
                case State.Name:
                    if (c == '=') { value.Clear(); state = State.Value; }
                    else if (space) state = State.AfterName;
                    // RFC 8461 3.1: MTA-STS extension names may also hold "-" and ".".
                    else if (char.IsAsciiLetterOrDigit(c) || c == '_' || (rules.NameExtensions && c is '-' or '.')) name.Append(c);
                    else if (c == ';') return Failed($"tag '{name}' has no '=' (column {i + 1})");
                    else return Failed(Describe(c, i, $"tag name '{name}' may hold only letters, digits{(rules.NameExtensions ? ", '-', '.'" : "")} and '_'"));
                    break;
                case State.AfterName:
                    if (space) continue;
                    if (c != '=') return Failed($"tag '{name}' has no '=' (column {i + 1})");
                    value.Clear();
                    state = State.Value;
                    break;
                case State.Value:
                    if (c == ';')
                    {
                        if (Add(list, rules, name.ToString(), value) is { } duplicate) return Failed(duplicate);
                        state = State.BeforeName;
                    }
                    // RFC 6376 3.2: VALCHAR = %x21-3A / %x3C-7E
                    else if (space || c is >= '!' and <= '~' || !rules.Strict) value.Append(c);
                    else return Failed(Describe(c, i, $"the value of tag '{name}' holds a character DKIM does not allow"));
                    break;
            }
        }

        switch (state)
        {
            case State.Name or State.AfterName:
                return Failed($"tag '{name}' has no '='");
            case State.Value:
                if (Add(list, rules, name.ToString(), value) is { } duplicate) return Failed(duplicate);
                break;
        }
        if (list.Count == 0 && rules.Strict) return Failed("the record holds no tags");
        return new(list, rules, null);
    }

    /// <summary>Adds a tag; returns the error when the rules refuse it.</summary>
    private static string? Add(List<TagValue> list, TagListRules rules, string name, System.Text.StringBuilder value)
    {
        // RFC 6376 3.2: a duplicated tag name makes the entire tag-list invalid.
        if (rules.Strict && list.Exists(t => string.Equals(t.Name, name, rules.NameComparison))) return $"tag '{name}' occurs twice";
        list.Add(new(name, value.ToString().Trim(' ', '\t', '\r', '\n')));
        return null;
    }

    private static string Describe(char c, int index, string rule) =>
        $"{rule}: '{(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())}' at column {index + 1}";

    /// <inheritdoc />
    public override string ToString() => string.Join("; ", _tags);
}
