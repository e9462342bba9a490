namespace MailOps.Dns;

/// <summary>One <c>name=value</c> pair of a tag-value list, as written.</summary>
/// <param name="Name">The tag name, as written (compare it case-insensitively where the RFC says so).</param>
/// <param name="Value">The value with surrounding white space removed.</param>
public sealed record TagValue(string Name, string Value)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}={Value}";
}

/// <summary>
/// The <c>tag=value; tag=value</c> lists of DMARC (RFC 7489 6.4), MTA-STS (RFC 8461 3.1) and TLS-RPT (RFC 8460 3)
/// records, which all follow the DKIM tag-list grammar (RFC 6376 3.2). Read by a small state machine, in order.
/// </summary>
public sealed class TagValueList
{
    private TagValueList(IReadOnlyList<TagValue> tags, string? error)
    {
        Tags = tags;
        Error = error;
    }

    /// <summary>The tags in the order written.</summary>
    public IReadOnlyList<TagValue> Tags { get; }

    /// <summary>Why the text is not a tag list (first problem found), or null when it is one.</summary>
    public string? Error { get; }

    /// <summary>The value of the first tag named <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? this[string name] => Tags.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

    /// <summary>The position of the first tag named <paramref name="name"/> (case-insensitive), or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Tags.Count; i++)
            if (string.Equals(Tags[i].Name, name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    private enum State { BeforeName, Name, AfterName, Value }

    /// <summary>Reads <paramref name="text"/>; never throws, a malformed list has an <see cref="Error"/> and the tags read before it.</summary>
    public static TagValueList Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tags = new List<TagValue>();
        var state = State.BeforeName;
        var name = new System.Text.StringBuilder();
        var value = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (state)
            {
                case State.BeforeName:
                    // RFC 6376 3.2: a trailing ";" is allowed; empty tag-specs between semicolons are tolerated.
                    if (c == ';' || IsWhiteSpace(c)) continue;
                    if (!IsNameChar(c, first: true)) return new(tags, $"'{c}' cannot start a tag name (position {i + 1}).");
                    name.Clear().Append(c);
                    state = State.Name;
                    break;
                case State.Name:
                    if (IsNameChar(c, first: false)) { name.Append(c); continue; }
                    if (c == '=') { value.Clear(); state = State.Value; continue; }
                    if (IsWhiteSpace(c)) { state = State.AfterName; continue; }
                    return new(tags, $"tag '{name}' is not followed by '=' (position {i + 1}).");
                case State.AfterName:
                    if (IsWhiteSpace(c)) continue;
                    if (c == '=') { value.Clear(); state = State.Value; continue; }
                    return new(tags, $"tag '{name}' is not followed by '=' (position {i + 1}).");
                case State.Value:
                    if (c == ';')
                    {
                        tags.Add(new TagValue(name.ToString(), value.ToString().Trim(' ', '\t', '\r', '\n')));
                        state = State.BeforeName;
                        continue;
                    }
                    value.Append(c);
                    break;
            }
        }
        switch (state)
        {
            case State.Value:
                tags.Add(new TagValue(name.ToString(), value.ToString().Trim(' ', '\t', '\r', '\n')));
                break;
            case State.Name or State.AfterName:
                return new(tags, $"tag '{name}' has no '=' and no value.");
        }
        return new(tags, null);
    }

    private static bool IsWhiteSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    // RFC 6376 3.2: tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC = ALPHA / DIGIT / "_"); MTA-STS extension names also allow "-" and "." (RFC 8461 3.1).
    private static bool IsNameChar(char c, bool first) =>
        char.IsAsciiLetter(c) || (!first && (char.IsAsciiDigit(c) || c is '_' or '-' or '.'));
}
