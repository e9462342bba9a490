namespace MailOps.Dkim;

/// <summary>A DKIM tag=value list (RFC 6376 3.2), as key records and signatures carry it; tags keep their order.</summary>
public sealed class DkimTagList
{
    private readonly List<KeyValuePair<string, string>> _tags;

    private DkimTagList(List<KeyValuePair<string, string>> tags) => _tags = tags;

    /// <summary>The tags in the order written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags => _tags;

    /// <summary>The value of a tag (names are case-sensitive, RFC 6376 3.2), or null when absent.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var tag in _tags)
                if (tag.Key == name) return tag.Value;
            return null;
        }
    }

    /// <summary>True when the tag is present, even with an empty value.</summary>
    public bool Contains(string name) => _tags.Exists(t => t.Key == name);

    private enum State { BeforeName, Name, AfterName, Value }

    /// <summary>Parses a tag list; on failure <paramref name="error"/> says where and why.</summary>
    /// <remarks>
    /// A small state machine over the characters: white space around names and values is folding white space and dropped,
    /// white space inside a value is kept (RFC 6376 3.2: tag-value = [ tval *( 1*(WSP / FWS) tval ) ]).
    /// </remarks>
    public static bool TryParse(string text, out DkimTagList tags, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<KeyValuePair<string, string>>();
        tags = new DkimTagList(list);
        error = "";
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
                    // RFC 6376 3.2: tag-name = ALPHA *ALNUMPUNC
                    if (!char.IsAsciiLetter(c)) { error = Describe(c, i, "a tag name must start with a letter"); return false; }
                    name.Clear().Append(c);
                    state = State.Name;
                    break;
                case State.Name:
                    if (c == '=') { value.Clear(); state = State.Value; }
                    else if (space) state = State.AfterName;
                    else if (char.IsAsciiLetterOrDigit(c) || c == '_') name.Append(c);
                    else { error = c == ';' ? $"tag '{name}' has no '=' (column {i + 1})" : Describe(c, i, $"tag name '{name}' may hold only letters, digits and '_'"); return false; }
                    break;
                case State.AfterName:
                    if (space) continue;
                    if (c != '=') { error = $"tag '{name}' has no '=' (column {i + 1})"; return false; }
                    value.Clear();
                    state = State.Value;
                    break;
                case State.Value:
                    if (c == ';')
                    {
                        if (!Add(list, name.ToString(), value.ToString().Trim(' ', '\t', '\r', '\n'), out error)) return false;
                        state = State.BeforeName;
                    }
                    // RFC 6376 3.2: VALCHAR = %x21-3A / %x3C-7E
                    else if (space || c is >= '!' and <= '~') value.Append(c);
                    else { error = Describe(c, i, $"the value of tag '{name}' holds a character DKIM does not allow"); return false; }
                    break;
            }
        }

        switch (state)
        {
            case State.Name or State.AfterName:
                error = $"tag '{name}' has no '='";
                return false;
            case State.Value:
                if (!Add(list, name.ToString(), value.ToString().Trim(' ', '\t', '\r', '\n'), out error)) return false;
                break;
        }
        if (list.Count == 0) { error = "the record holds no tags"; return false; }
        return true;
    }

    private static bool Add(List<KeyValuePair<string, string>> list, string name, string value, out string error)
    {
        error = "";
        // RFC 6376 3.2: a duplicated tag name makes the entire tag-list invalid.
        if (list.Exists(t => t.Key == name)) { error = $"tag '{name}' occurs twice"; return false; }
        list.Add(new(name, value));
        return true;
    }

    private static string Describe(char c, int index, string rule) =>
        $"{rule}: '{(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())}' at column {index + 1}";

    /// <inheritdoc />
    public override string ToString() => string.Join("; ", _tags.Select(t => $"{t.Key}={t.Value}"));
}
