using System.Text;

namespace MailOps.Engine.Auth;

/// <summary>
/// A Postfix virtual(5) alias table in its text form (the file postmap(1) reads): <c>pattern result, result...</c>,
/// '#' comments, lines starting with white space continue the previous line. Lookups follow virtual(5)'s
/// "TABLE SEARCH ORDER" and "ADDRESS EXTENSION"; <see cref="Expand"/> repeats them as cleanup(8) does.
/// Changes keep comments and untouched lines as they were.
/// </summary>
public sealed class VirtualAliasMap
{
    /// <summary>Postfix's virtual_alias_recursion_limit default.</summary>
    public const int RecursionLimit = 1000;

    /// <summary>Postfix's virtual_alias_expansion_limit default.</summary>
    public const int ExpansionLimit = 1000;

    readonly List<PhysicalLine> _lines = [];
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    VirtualAliasMap(string? path) => Path = path;

    /// <summary>The file this map was read from and is saved to; null for a map made from text.</summary>
    public string? Path { get; }

    /// <summary>
    /// recipient_delimiter: each character separates a local part from its extension (user+ext@domain). Empty turns
    /// extensions off. Default "+", as most sites set it (Postfix's own default is empty).
    /// </summary>
    public string RecipientDelimiters { get; init; } = "+";

    /// <summary>
    /// $myorigin: appended as "@myorigin" to results without a domain (append_at_myorigin=yes), and one of the
    /// domains in which the bare "user" pattern applies. Null leaves such results as they are.
    /// </summary>
    public string? MyOrigin { get; init; }

    /// <summary>
    /// $mydestination (and the interface addresses): the other domains in which the bare "user" pattern applies.
    /// Virtual mailbox domains are not among them, as in Postfix.
    /// </summary>
    public IReadOnlySet<string> MyDestination { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>propagate_unmatched_extensions includes "virtual" (Postfix's default): user+ext keeps +ext in results.</summary>
    public bool PropagateUnmatchedExtensions { get; init; } = true;

    /// <summary>The entries, in file order; the first of duplicate patterns wins, as in postmap(1).</summary>
    public IReadOnlyList<VirtualAlias> Entries =>
        _lines.Select(l => l.Owner).OfType<Entry>().Distinct().Where(e => !e.Removed && ReferenceEquals(_entries.GetValueOrDefault(e.Pattern), e))
            .Select(e => new VirtualAlias(e.Pattern, e.Result)).ToList();

    /// <summary>The entries whose pattern matches <paramref name="pattern"/>: '*' any run, '?' one character.</summary>
    public IReadOnlyList<VirtualAlias> List(string pattern = "*")
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return Entries.Where(a => Wildcard.Matches(pattern, a.Pattern)).ToList();
    }

    /// <summary>The entry for exactly <paramref name="pattern"/> (case-insensitive, surrounding white space ignored), or null.</summary>
    public VirtualAlias? Find(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var key = pattern.Trim().ToLowerInvariant();
        return Entries.FirstOrDefault(a => a.Pattern == key);
    }

    /// <summary>Reads a virtual(5) file; a missing file is an empty map.</summary>
    public static VirtualAliasMap Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var map = new VirtualAliasMap(path);
        if (File.Exists(path))
            map.Parse(File.ReadAllText(path, Encoding.UTF8));
        return map;
    }

    /// <summary>Reads a map from virtual(5) text, for tests and for tables held elsewhere.</summary>
    public static VirtualAliasMap FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var map = new VirtualAliasMap(null);
        map.Parse(text);
        return map;
    }

    /// <summary>A copy of this map with other settings (delimiters, $myorigin, $mydestination).</summary>
    public VirtualAliasMap With(string? recipientDelimiters = null, string? myOrigin = null, IReadOnlySet<string>? myDestination = null)
    {
        var copy = new VirtualAliasMap(Path)
        {
            RecipientDelimiters = recipientDelimiters ?? RecipientDelimiters,
            MyOrigin = myOrigin ?? MyOrigin,
            MyDestination = myDestination ?? MyDestination,
            PropagateUnmatchedExtensions = PropagateUnmatchedExtensions,
        };
        copy.Parse(Render());
        return copy;
    }

    /// <summary>
    /// One table lookup of <paramref name="key"/> exactly as <c>postmap -q key texthash:file</c> answers it: the
    /// result text, or null. Keys are case-insensitive.
    /// </summary>
    public string? Lookup(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _entries.TryGetValue(key.ToLowerInvariant(), out var entry) && !entry.Removed ? entry.Result : null;
    }

    /// <summary>
    /// One level of virtual aliasing for <paramref name="address"/> (trivial-rewrite's mail_addr_map): the result
    /// addresses, or null when no pattern matches.
    /// </summary>
    /// <param name="address">The recipient address.</param>
    /// <param name="isMailbox">
    /// Optional: true for addresses that have a mailbox; the @domain catch-all does not take mail for those (in
    /// Postfix it would, unless each mailbox also had a "user@domain user@domain" line).
    /// </param>
    public IReadOnlyList<string>? Map(string address, Func<string, bool>? isMailbox = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var result = Find(address, isMailbox, out var extension);
        if (result is null)
            return null;

        // virtual(5) RESULT ADDRESS REWRITING: "@otherdomain" becomes the same user in otherdomain (without the
        // extension that had to be removed to match); only the first address of the result can be so written.
        if (result.StartsWith('@'))
        {
            var at = address.LastIndexOf('@');
            var user = at < 0 ? address : address[..at];
            if (extension is not null)
                user = user[..^extension.Length];
            result = user + result;
        }

        var addresses = new List<string>();
        foreach (var single in SplitResult(result))
        {
            var rewritten = single;
            var at = rewritten.LastIndexOf('@');
            // ADDRESS EXTENSION: an extension that was not matched goes into each result's local part.
            if (extension is not null && PropagateUnmatchedExtensions)
                rewritten = at < 0 ? rewritten + extension : rewritten[..at] + extension + rewritten[at..];
            // append_at_myorigin=yes.
            if (rewritten.IndexOf('@') < 0 && MyOrigin is not null)
                rewritten += "@" + MyOrigin;
            addresses.Add(rewritten);
        }
        return addresses;
    }

    /// <summary>
    /// Expands <paramref name="address"/> recursively as Postfix's cleanup(8) does (cleanup_map1n.c): each result is
    /// looked up again; an address that maps to itself stays; duplicates are dropped. An address no pattern matches
    /// comes back alone.
    /// </summary>
    /// <param name="address">The recipient address.</param>
    /// <param name="isMailbox">As in <see cref="Map"/>.</param>
    /// <exception cref="AliasExpansionException">
    /// More than <see cref="RecursionLimit"/> levels (a loop such as a→b, b→a) or more than
    /// <see cref="ExpansionLimit"/> addresses.
    /// </exception>
    public IReadOnlyList<string> Expand(string address, Func<string, bool>? isMailbox = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var addresses = new List<string> { address };
        var expandedIntoItself = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < addresses.Count; i++)
        {
            if (addresses.Count > ExpansionLimit)
                throw new AliasExpansionException(address, "unreasonable virtual alias map expansion size");
            for (var depth = 0; ; depth++)
            {
                // Don't expand an address that already expanded into itself.
                if (expandedIntoItself.Contains(addresses[i]))
                    break;
                if (depth >= RecursionLimit)
                    throw new AliasExpansionException(address, "unreasonable virtual alias map nesting");
                var lookup = Map(addresses[i], isMailbox);
                if (lookup is null)
                    break;
                var left = addresses[i];
                for (var r = 0; r < lookup.Count; r++)
                {
                    if (r == 0)
                        addresses[i] = lookup[r];
                    else
                        addresses.Add(lookup[r]);
                    if (string.Equals(left, lookup[r], StringComparison.OrdinalIgnoreCase))
                        expandedIntoItself.Add(left);
                }
            }
        }
        // cleanup(8) writes each recipient once.
        return addresses.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Adds or replaces the entry for <paramref name="pattern"/>; a new entry goes at the end of the file.</summary>
    /// <param name="pattern">user@domain, user, or @domain.</param>
    /// <param name="results">One or more addresses (or "@otherdomain" first).</param>
    public VirtualAlias Set(string pattern, IEnumerable<string> results)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        if (list.Count == 0)
            throw new ArgumentException("An alias needs at least one result.", nameof(results));
        var key = pattern.ToLowerInvariant();
        if (key.Length == 0 || key[0] == '#' || key.AsSpan().IndexOfAny(" \t\r\n") >= 0)
            throw new ArgumentException($"\"{pattern}\" cannot be a virtual(5) pattern.", nameof(pattern));
        foreach (var result in list)
            if (result.Length == 0 || result.AsSpan().IndexOfAny(",\r\n") >= 0)
                throw new ArgumentException($"\"{result}\" cannot be a virtual(5) result.", nameof(results));
        var value = string.Join(", ", list);
        var text = key + "\t" + value;
        if (_entries.TryGetValue(key, out var existing) && !existing.Removed)
        {
            // Rewrite in place: the first physical line carries the new text, its continuation lines go.
            var first = _lines.FindIndex(l => l.Owner == existing);
            _lines.RemoveAll(l => l.Owner == existing);
            var entry = new Entry(key, value);
            _lines.Insert(first, new PhysicalLine(text, entry));
            _entries[key] = entry;
            return new VirtualAlias(key, value);
        }
        var added = new Entry(key, value);
        _lines.Add(new PhysicalLine(text, added));
        _entries[key] = added;
        return new VirtualAlias(key, value);
    }

    /// <summary>Removes the entry for <paramref name="pattern"/> with its continuation lines; false when there was none.</summary>
    public bool Remove(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var key = pattern.ToLowerInvariant();
        if (!_entries.TryGetValue(key, out var entry) || entry.Removed)
            return false;
        // Duplicates of the pattern go too, or the next one would take its place.
        _lines.RemoveAll(l => l.Owner is { } owner && owner.Pattern == key);
        _entries.Remove(key);
        return true;
    }

    /// <summary>The text as <see cref="Save()"/> writes it.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        foreach (var line in _lines)
            text.Append(line.Text).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Writes the map back to <see cref="Path"/> atomically (temporary file, flush to disk, rename), keeping the old
    /// file's owner, group and mode; a new file is 0644 like Postfix's own tables.
    /// </summary>
    /// <exception cref="InvalidOperationException">The map was not read from a file.</exception>
    public void Save() =>
        Save(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    /// <summary>As <see cref="Save()"/>, but a new file gets <paramref name="newFileMode"/>; an existing one keeps its own.</summary>
    /// <exception cref="InvalidOperationException">The map was not read from a file.</exception>
    public void Save(UnixFileMode newFileMode)
    {
        if (Path is null)
            throw new InvalidOperationException("This alias map was not read from a file.");
        AtomicFile.Write(Path, Render(), newFileMode);
    }

    // mail_addr_find.c's order: user+ext@domain, user@domain, then (domain is $myorigin/$mydestination) user+ext and
    // user, then @domain. The extension is reported only when it had to be removed to match.
    string? Find(string address, Func<string, bool>? isMailbox, out string? extension)
    {
        extension = null;
        var at = address.LastIndexOf('@');
        var local = at < 0 ? address : address[..at];
        var domain = at < 0 ? null : address[(at + 1)..];
        var (bareLocal, ext) = StripExtension(local);

        if (Lookup(address) is { } full)
            return full;
        if (ext is not null && Lookup(domain is null ? bareLocal : bareLocal + "@" + domain) is { } bare)
        {
            extension = ext;
            return bare;
        }
        if (domain is null)
            return null;
        var local_ = string.Equals(domain, MyOrigin, StringComparison.OrdinalIgnoreCase) || MyDestination.Contains(domain);
        if (local_)
        {
            if (Lookup(local) is { } user)
                return user;
            if (ext is not null && Lookup(bareLocal) is { } bareUser)
            {
                extension = ext;
                return bareUser;
            }
        }
        if (isMailbox is not null && isMailbox(address))
            return null;
        return Lookup("@" + domain);
    }

    // strip_addr(3): the extension starts at the first delimiter character in the local part, but not at its start.
    internal (string Local, string? Extension) StripExtension(string local)
    {
        if (RecipientDelimiters.Length == 0)
            return (local, null);
        var index = local.AsSpan(1 < local.Length ? 1 : local.Length).IndexOfAny(RecipientDelimiters);
        if (index < 0)
            return (local, null);
        index++;
        return (local[..index], local[index..]);
    }

    /// <summary>Splits a result at commas and white space that are not inside double quotes.</summary>
    internal static IReadOnlyList<string> SplitResult(string result)
    {
        var addresses = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in result)
        {
            if (c == '"')
            {
                quoted = !quoted;
                current.Append(c);
            }
            else if (!quoted && (c == ',' || char.IsWhiteSpace(c)))
            {
                if (current.Length > 0)
                    addresses.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
            addresses.Add(current.ToString());
        return addresses;
    }

    // postmap(1) as observed: '#' lines (even indented) and blank lines are skipped; a line starting with white
    // space is appended, white space and all, to the logical line before it; the key ends at the first white
    // space, the value is the rest without leading and trailing white space; a key without a value is ignored.
    void Parse(string text)
    {
        Entry? current = null;
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            var line = end < 0 ? text[start..] : text[start..end];
            start = end < 0 ? text.Length : end + 1;
            if (line.EndsWith('\r'))
                line = line[..^1];

            var firstText = 0;
            while (firstText < line.Length && char.IsWhiteSpace(line[firstText]))
                firstText++;
            if (firstText == line.Length || line[firstText] == '#')
            {
                _lines.Add(new PhysicalLine(line, null));
                continue;
            }
            if (firstText > 0)
            {
                if (current is null)
                {
                    _lines.Add(new PhysicalLine(line, null));
                }
                else
                {
                    current.Append(line);
                    _lines.Add(new PhysicalLine(line, current));
                }
                continue;
            }
            FinishEntry(current);
            current = new Entry(line);
            _lines.Add(new PhysicalLine(line, current));
        }
        FinishEntry(current);
    }

    void FinishEntry(Entry? entry)
    {
        if (entry is null)
            return;
        entry.Complete();
        if (entry.Pattern.Length > 0 && entry.Result.Length > 0)
            _entries.TryAdd(entry.Pattern, entry);
    }

    sealed record PhysicalLine(string Text, Entry? Owner);

    // A logical line: the physical lines joined as postmap joins them, then split into key and value.
    sealed class Entry
    {
        readonly StringBuilder? _logical;

        public Entry(string firstLine) => _logical = new StringBuilder(firstLine);

        public Entry(string pattern, string result)
        {
            Pattern = pattern;
            Result = result;
        }

        public string Pattern { get; private set; } = "";

        public string Result { get; private set; } = "";

        public bool Removed { get; set; }

        public void Append(string line) => _logical!.Append(line);

        public void Complete()
        {
            var logical = _logical!.ToString();
            var keyEnd = 0;
            while (keyEnd < logical.Length && !char.IsWhiteSpace(logical[keyEnd]))
                keyEnd++;
            Pattern = logical[..keyEnd].ToLowerInvariant();
            Result = logical[keyEnd..].Trim();
        }
    }
}
