using System.Globalization;
using System.Text;

namespace MailOps.Engine.Auth;

/// <summary>
/// Dovecot's passwd-file (doc.dovecot.org "Passwd-file"): one user a line,
/// <c>user:password:uid:gid:gecos:home:shell:extra_fields</c>, '#' comments. Load, change, <see cref="Save"/>:
/// comments, blank lines and lines this class does not understand are written back unchanged, and so is every
/// user line that was not changed. Not safe for concurrent writers in other processes.
/// </summary>
public sealed class PasswdFile
{
    // The quota rule this model owns; other rules (userdb_quota_rule2=Trash:...) stay in OtherExtraFields.
    const string QuotaRuleField = "userdb_quota_rule";
    const string QuotaRulePrefix = "*:storage=";

    readonly List<Line> _lines = [];

    PasswdFile(string path) => Path = path;

    /// <summary>The file this instance reads from and saves to.</summary>
    public string Path { get; }

    /// <summary>The users, in file order.</summary>
    public IReadOnlyList<MailUser> Users => _lines.Where(l => l.User is not null).Select(l => l.User!).ToList();

    /// <summary>Reads <paramref name="path"/>; a missing file is an empty one (it is created by <see cref="Save"/>).</summary>
    public static PasswdFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = new PasswdFile(path);
        if (File.Exists(path))
            file.Parse(File.ReadAllText(path, Encoding.UTF8));
        return file;
    }

    /// <summary>Reads <paramref name="path"/> asynchronously; a missing file is an empty one.</summary>
    public static async Task<PasswdFile> LoadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = new PasswdFile(path);
        if (File.Exists(path))
            file.Parse(await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false));
        return file;
    }

    /// <summary>
    /// Reads passwd-file text held elsewhere (a file on another host); <paramref name="path"/> names where it came from.
    /// Change it and <see cref="Render"/> the new text; <see cref="Save"/> would write to that path on this machine.
    /// </summary>
    public static PasswdFile FromText(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        var file = new PasswdFile(path);
        file.Parse(text);
        return file;
    }

    /// <summary>The user with <paramref name="address"/> (case-insensitive, as Dovecot's %Lu lookup), or null.</summary>
    public MailUser? Find(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var index = IndexOf(address);
        return index < 0 ? null : _lines[index].User;
    }

    /// <summary>The users whose address matches <paramref name="pattern"/>: '*' any run, '?' one character.</summary>
    public IReadOnlyList<MailUser> List(string pattern = "*")
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return Users.Where(u => Wildcard.Matches(pattern, u.Address)).ToList();
    }

    /// <summary>Adds <paramref name="user"/> at the end of the file; its address is stored lower-case.</summary>
    /// <exception cref="MailUserExistsException">The address is already in the file.</exception>
    /// <exception cref="ArgumentException">A field holds a character the format cannot carry.</exception>
    public MailUser Add(MailUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        // Dovecot lower-cases the login name before the lookup (auth_username_format = %Lu), so store it lower-case.
        user = user with { Address = user.Address.ToLowerInvariant() };
        Validate(user);
        if (IndexOf(user.Address) >= 0)
            throw new MailUserExistsException(user.Address);
        _lines.Add(new Line(null, user));
        return user;
    }

    /// <summary>Replaces the user's password with a SHA512-CRYPT hash of <paramref name="password"/>.</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public MailUser SetPassword(string address, string password, int rounds = ShaCrypt.DefaultRounds) =>
        Change(address, u => u with { PasswordHash = PasswordScheme.Hash(password, rounds) });

    /// <summary>Replaces the user's stored password with <paramref name="passwordHash"/> ("{SCHEME}data").</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public MailUser SetPasswordHash(string address, string passwordHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(passwordHash);
        return Change(address, u => u with { PasswordHash = passwordHash });
    }

    /// <summary>Sets the storage quota in bytes; null removes it.</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public MailUser SetQuota(string address, long? quotaBytes)
    {
        if (quotaBytes is < 0)
            throw new ArgumentOutOfRangeException(nameof(quotaBytes), "A quota cannot be negative.");
        return Change(address, u => u with { QuotaBytes = quotaBytes });
    }

    /// <summary>Enables or disables the user's logins (mail is still delivered to a disabled user).</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public MailUser SetEnabled(string address, bool enabled) => Change(address, u => u with { Enabled = enabled });

    /// <summary>Removes the user's line; false when there was none.</summary>
    public bool Remove(string address)
    {
        var index = IndexOf(address);
        if (index < 0)
            return false;
        _lines.RemoveAt(index);
        return true;
    }

    /// <summary>
    /// Writes the file atomically: a temporary file beside it, flushed to disk, renamed over the old one, so that
    /// Dovecot (which re-reads the file when it changes) never sees half a file. The old file's owner, group and mode
    /// are kept (Dovecot's auth process runs as the dovecot user and must still read it); a new file is 0600.
    /// </summary>
    public void Save() => AtomicFile.Write(Path, Render(), UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>The file's text as <see cref="Save"/> would write it.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        foreach (var line in _lines)
            text.Append(line.Raw ?? Format(line.User!)).Append('\n');
        return text.ToString();
    }

    MailUser Change(string address, Func<MailUser, MailUser> change)
    {
        ArgumentNullException.ThrowIfNull(address);
        var index = IndexOf(address);
        if (index < 0)
            throw new MailUserNotFoundException(address);
        var changed = change(_lines[index].User!);
        Validate(changed);
        _lines[index] = new Line(null, changed);
        return changed;
    }

    int IndexOf(string address)
    {
        for (var i = 0; i < _lines.Count; i++)
            if (_lines[i].User is { } user && string.Equals(user.Address, address, StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }

    void Parse(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            var line = end < 0 ? text[start..] : text[start..end];
            start = end < 0 ? text.Length : end + 1;
            if (line.EndsWith('\r'))
                line = line[..^1];
            _lines.Add(new Line(line, ParseUser(line)));
        }
    }

    // db-passwd-file.c: '#' starts a comment, the line splits at ':', and everything after the seventh ':' is the
    // extra fields (which may hold ':' themselves, as in "userdb_quota_rule=*:storage=1G").
    static MailUser? ParseUser(string line)
    {
        if (line.Length == 0 || line[0] == '#' || line.IndexOf(':') <= 0)
            return null;
        var fields = new string[8];
        var position = 0;
        for (var i = 0; i < 7; i++)
        {
            var colon = line.IndexOf(':', position);
            if (colon < 0)
            {
                fields[i] = line[position..];
                position = line.Length;
                for (var j = i + 1; j < 8; j++)
                    fields[j] = "";
                break;
            }
            fields[i] = line[position..colon];
            position = colon + 1;
            if (i == 6)
                fields[7] = line[position..];
        }
        fields[7] ??= "";

        var enabled = true;
        long? quota = null;
        var other = new List<string>();
        foreach (var field in fields[7].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = field.IndexOf('=');
            var key = equals < 0 ? field : field[..equals];
            var value = equals < 0 ? "" : field[(equals + 1)..];
            if (key == "nologin")
                enabled = false;
            else if (key == "reason")
                continue; // belongs to nologin; rewritten with it
            else if (key == QuotaRuleField && value.StartsWith(QuotaRulePrefix, StringComparison.Ordinal)
                     && TryParseStorage(value[QuotaRulePrefix.Length..], out var bytes))
                quota = bytes;
            else
                other.Add(field);
        }
        return new MailUser
        {
            Address = fields[0],
            PasswordHash = fields[1],
            Uid = fields[2],
            Gid = fields[3],
            Gecos = fields[4],
            Home = fields[5],
            Shell = fields[6],
            Enabled = enabled,
            QuotaBytes = quota,
            OtherExtraFields = other,
        };
    }

    static string Format(MailUser user)
    {
        var extra = new List<string>();
        if (!user.Enabled)
        {
            // Dovecot passdb extra field "nologin": the login fails even when the password is right.
            extra.Add("nologin=y");
            extra.Add("reason=Account_disabled");
        }
        if (user.QuotaBytes is { } bytes)
            extra.Add(QuotaRuleField + "=" + QuotaRulePrefix + FormatStorage(bytes));
        extra.AddRange(user.OtherExtraFields);
        return string.Join(':', user.Address, user.PasswordHash, user.Uid, user.Gid, user.Gecos, user.Home, user.Shell,
            string.Join(' ', extra));
    }

    // Dovecot's quota.c reads "storage=N" without a unit as kilobytes; units B, K, M, G, T multiply by 1024^n.
    // Write the largest exact unit so the value means the same to Dovecot and to a reader.
    static string FormatStorage(long bytes)
    {
        string[] units = ["B", "K", "M", "G", "T"];
        var unit = 0;
        while (unit < units.Length - 1 && bytes != 0 && bytes % 1024 == 0)
        {
            bytes /= 1024;
            unit++;
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + units[unit];
    }

    static bool TryParseStorage(string value, out long bytes)
    {
        bytes = 0;
        var digits = 0;
        while (digits < value.Length && char.IsAsciiDigit(value[digits]))
            digits++;
        if (digits == 0 || !long.TryParse(value.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return false;
        var unit = value[digits..];
        long multiplier = unit.ToUpperInvariant() switch
        {
            "" => 1024, // no unit: kilobytes
            "B" => 1,
            "K" => 1024,
            "M" => 1024L * 1024,
            "G" => 1024L * 1024 * 1024,
            "T" => 1024L * 1024 * 1024 * 1024,
            _ => 0,
        };
        if (multiplier == 0)
            return false;
        try
        {
            bytes = checked(number * multiplier);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    static void Validate(MailUser user)
    {
        if (string.IsNullOrEmpty(user.Address) || user.Address[0] == '#')
            throw new ArgumentException("A mail user needs an address that does not start with '#'.", nameof(user));
        Forbid(user.Address, ":\n\r \t", "address");
        Forbid(user.PasswordHash, ":\n\r", "password hash");
        foreach (var (value, name) in new[] { (user.Uid, "uid"), (user.Gid, "gid"), (user.Gecos, "gecos"), (user.Home, "home"), (user.Shell, "shell") })
            Forbid(value, ":\n\r", name);
        foreach (var field in user.OtherExtraFields)
            Forbid(field, "\n\r \t", "extra field");
    }

    static void Forbid(string value, string characters, string name)
    {
        if (value.AsSpan().IndexOfAny(characters) >= 0)
            throw new ArgumentException($"The {name} \"{value}\" holds a character a passwd-file line cannot carry.");
    }

    // Raw is the line as read (null once the user changes); User is null for comments and unknown lines.
    sealed record Line(string? Raw, MailUser? User);
}
