using MailOps.Config;
using MailOps.Hosts;

namespace MailOps.Engine.Auth;

/// <summary>
/// The users in a Dovecot passwd-file and the aliases in a Postfix virtual(5) table of a Dovecot/Postfix host, changed
/// over a <see cref="HostConnection"/> (SSH or this machine) with the same <see cref="PasswdFile"/> and
/// <see cref="VirtualAliasMap"/> code as the bundled server's files. Each change is one <see cref="HostTextFile.EditAsync{T}"/>:
/// atomic, locked against other writers, the previous file kept as <c>FILE.bak</c>; an alias change runs postmap.
/// Addresses are checked as on the bundled server, but not against local domains, which the host's own settings define.
/// </summary>
public static class HostMailAccounts
{
    // Lookup table types whose source is a virtual(5) text file: postmap(1) builds the indexed ones; texthash is read as is.
    private static readonly HashSet<string> IndexedTypes = new(StringComparer.Ordinal) { "hash", "btree", "lmdb", "cdb", "dbm", "sdbm" };

    /// <summary>
    /// The passwd-file of the host's first <c>passdb { driver = passwd-file }</c>, from <c>doveconf -n</c>.
    /// </summary>
    /// <param name="host">Where doveconf runs.</param>
    /// <param name="dovecotConfigPath">The dovecot.conf to read; null for the host's default.</param>
    /// <param name="cancellationToken">Stops the commands.</param>
    /// <exception cref="FileNotFoundException">No passdb there reads one passwd-file (none, or its path has %variables).</exception>
    /// <exception cref="HostCommandException">doveconf failed.</exception>
    public static async Task<string> FindUsersFileAsync(HostConnection host, string? dovecotConfigPath, CancellationToken cancellationToken = default)
    {
        var settings = await DovecotConfiguration.GetSettingsAsync(host, dovecotConfigPath, includeDefaults: false, cancellationToken).ConfigureAwait(false);
        foreach (var passdb in Sections(settings, "passdb"))
        {
            if (passdb.GetValueOrDefault("driver") != "passwd-file") continue;
            // doc.dovecot.org "Passwd-file": args are key=value options, then the path.
            var path = (passdb.GetValueOrDefault("args") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(a => !a.Contains('='));
            if (path is not null && path.StartsWith('/') && !path.Contains('%')) return path;
        }
        throw new FileNotFoundException(
            $"{host.ComputerName}: Dovecot has no passdb reading one passwd-file (doveconf -n); name the file with -UsersFile.");
    }

    /// <summary>
    /// The virtual alias table to change, as <c>type:path</c>. <paramref name="aliasesFile"/> may be <c>type:path</c> or a
    /// path: its type is then the one virtual_alias_maps gives that path, else default_database_type. Without
    /// <paramref name="aliasesFile"/>, the first table in virtual_alias_maps that is a virtual(5) file.
    /// </summary>
    /// <param name="host">Where postconf runs.</param>
    /// <param name="aliasesFile">The table or its file; null to take it from virtual_alias_maps.</param>
    /// <param name="postfixConfigDirectory">The Postfix configuration directory (<c>postconf -c</c>); null for the host's default.</param>
    /// <param name="cancellationToken">Stops the commands.</param>
    /// <exception cref="ArgumentException">The table type is not one with a virtual(5) text file, or the path is not absolute.</exception>
    /// <exception cref="FileNotFoundException">virtual_alias_maps names no such table.</exception>
    /// <exception cref="HostCommandException">postconf failed.</exception>
    public static async Task<string> FindAliasesTableAsync(
        HostConnection host, string? aliasesFile, string? postfixConfigDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (aliasesFile is not null && TrySplitTable(aliasesFile, out _, out _))
        {
            CheckTable(aliasesFile);
            return aliasesFile;
        }
        if (aliasesFile is not null && !aliasesFile.StartsWith('/'))
            throw new ArgumentException($"'{aliasesFile}' is neither an absolute path nor type:/path.", nameof(aliasesFile));
        var tables = (await PostconfAsync(host, postfixConfigDirectory, "virtual_alias_maps", cancellationToken).ConfigureAwait(false))
            .Split([',', ' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var table in tables)
        {
            if (!TrySplitTable(table, out var type, out var path) || !(IndexedTypes.Contains(type) || type == "texthash") || !path.StartsWith('/')) continue;
            if (aliasesFile is null || path == aliasesFile) return table;
        }
        if (aliasesFile is null)
            throw new FileNotFoundException($"{host.ComputerName}: virtual_alias_maps names no virtual(5) file (postconf -h virtual_alias_maps); name it with -AliasesFile.");
        var defaultType = (await PostconfAsync(host, postfixConfigDirectory, "default_database_type", cancellationToken).ConfigureAwait(false)).Trim();
        var found = defaultType + ":" + aliasesFile;
        CheckTable(found);
        return found;
    }

    /// <summary>The file of a <c>type:path</c> table.</summary>
    public static string FileOf(string aliasesTable) =>
        TrySplitTable(aliasesTable, out _, out var path) ? path : aliasesTable;

    /// <summary>The passwd-file <paramref name="usersFile"/> as it is now (empty when there is none), to look users up in.</summary>
    /// <exception cref="IOException">It could not be read.</exception>
    public static async Task<PasswdFile> ReadUsersAsync(HostConnection host, string usersFile, CancellationToken cancellationToken = default) =>
        PasswdFile.FromText(await HostTextFile.ReadAsync(host, usersFile, cancellationToken).ConfigureAwait(false) ?? "", usersFile);

    /// <summary>Adds a user whose password is stored as <paramref name="passwordHash"/>; a missing file is created (0600).</summary>
    /// <exception cref="ArgumentException">The address is not a mail address.</exception>
    /// <exception cref="MailUserExistsException">The user exists.</exception>
    public static Task<MailUser> AddUserAsync(
        HostConnection host, string usersFile, string address, string passwordHash, long? quotaBytes = null, CancellationToken cancellationToken = default)
    {
        var normalized = MailAccountDirectory.NormalizeAddress(address, allowCatchAll: false);
        return EditUsersAsync(host, usersFile, file => MailAccountDirectory.AddUser(file, normalized, passwordHash, quotaBytes), cancellationToken);
    }

    /// <summary>Changes a user in one write: a new stored password, a quota (0 removes it), enabled or not; null leaves a setting.</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public static Task<MailUser> SetUserAsync(
        HostConnection host, string usersFile, string address, string? passwordHash = null, long? quotaBytes = null, bool? enabled = null,
        CancellationToken cancellationToken = default) =>
        EditUsersAsync(host, usersFile, file => MailAccountDirectory.SetUser(file, address.Trim(), passwordHash, quotaBytes, enabled), cancellationToken);

    /// <summary>Removes a user's line; the mailbox is kept.</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public static Task RemoveUserAsync(HostConnection host, string usersFile, string address, CancellationToken cancellationToken = default) =>
        EditUsersAsync(host, usersFile, file => file.Remove(address.Trim()) ? true : throw new MailUserNotFoundException(address), cancellationToken);

    /// <summary>The virtual(5) table as it is now (empty when there is none), to look aliases up in.</summary>
    /// <exception cref="IOException">It could not be read.</exception>
    public static async Task<VirtualAliasMap> ReadAliasesAsync(HostConnection host, string aliasesTable, CancellationToken cancellationToken = default) =>
        VirtualAliasMap.FromText(await HostTextFile.ReadAsync(host, FileOf(aliasesTable), cancellationToken).ConfigureAwait(false) ?? "");

    /// <summary>Adds an alias (or "@domain" catch-all) and rebuilds the table with postmap.</summary>
    /// <exception cref="ArgumentException">The address or a destination is not a mail address.</exception>
    /// <exception cref="MailAliasExistsException">The alias exists.</exception>
    public static Task<VirtualAlias> AddAliasAsync(
        HostConnection host, string aliasesTable, string address, IEnumerable<string> destinations, CancellationToken cancellationToken = default)
    {
        var normalized = MailAccountDirectory.NormalizeAddress(address, allowCatchAll: true);
        var targets = destinations.ToList();
        return EditAliasesAsync(host, aliasesTable, map => MailAccountDirectory.AddAlias(map, normalized, targets), cancellationToken);
    }

    /// <summary>Removes an alias and rebuilds the table with postmap.</summary>
    /// <exception cref="MailAliasNotFoundException">No such alias.</exception>
    public static Task RemoveAliasAsync(HostConnection host, string aliasesTable, string address, CancellationToken cancellationToken = default) =>
        EditAliasesAsync(host, aliasesTable, map => map.Remove(address.Trim()) ? true : throw new MailAliasNotFoundException(address), cancellationToken);

    private static Task<T> EditUsersAsync<T>(HostConnection host, string usersFile, Func<PasswdFile, T> change, CancellationToken cancellationToken) =>
        HostTextFile.EditAsync(host, usersFile, text =>
        {
            var file = PasswdFile.FromText(text, usersFile);
            var result = change(file);
            return (file.Render(), result);
        }, postmapTable: null, cancellationToken);

    private static Task<T> EditAliasesAsync<T>(HostConnection host, string aliasesTable, Func<VirtualAliasMap, T> change, CancellationToken cancellationToken)
    {
        CheckTable(aliasesTable);
        TrySplitTable(aliasesTable, out var type, out var path);
        return HostTextFile.EditAsync(host, path, text =>
        {
            var map = VirtualAliasMap.FromText(text);
            var result = change(map);
            return (map.Render(), result);
        }, IndexedTypes.Contains(type) ? aliasesTable : null, cancellationToken);
    }

    private static async Task<string> PostconfAsync(HostConnection host, string? configDirectory, string name, CancellationToken cancellationToken)
    {
        // -x expands $names in the value ($config_directory/virtual), as Postfix itself would read it.
        var command = new HostCommand("postconf", configDirectory is null ? ["-x", "-h", name] : ["-c", configDirectory, "-x", "-h", name]);
        return await host.RunForOutputAsync(command, cancellationToken).ConfigureAwait(false);
    }

    // postconf(5) "type:name" lookup tables.
    private static bool TrySplitTable(string table, out string type, out string path)
    {
        var colon = table.IndexOf(':');
        type = colon > 0 ? table[..colon] : "";
        path = colon > 0 ? table[(colon + 1)..] : table;
        return colon > 0 && type.All(char.IsAsciiLetterOrDigit);
    }

    private static void CheckTable(string table)
    {
        if (!TrySplitTable(table, out var type, out var path) || !(IndexedTypes.Contains(type) || type == "texthash"))
            throw new ArgumentException($"'{table}' is not a virtual(5) table with a text file (hash, btree, lmdb, cdb, dbm, sdbm or texthash).", nameof(table));
        if (!path.StartsWith('/') || path.AsSpan().IndexOfAny("\r\n\0") >= 0)
            throw new ArgumentException($"The file of '{table}' is not an absolute path.", nameof(table));
    }

    // Settings of each "kind" section in order (passdb, passdb name): doveconf prints a section's settings together.
    private static IEnumerable<Dictionary<string, string>> Sections(IEnumerable<DovecotSetting> settings, string kind)
    {
        Dictionary<string, string>? current = null;
        string? currentSection = null;
        foreach (var setting in settings)
        {
            var slash = setting.Name.LastIndexOf('/');
            var section = slash < 0 ? "" : setting.Name[..slash];
            var key = setting.Name[(slash + 1)..];
            if (section != kind && !section.StartsWith(kind + " ", StringComparison.Ordinal))
            {
                if (current is not null) yield return current;
                current = null;
                currentSection = null;
                continue;
            }
            if (current is null || section != currentSection || current.ContainsKey(key))
            {
                if (current is not null) yield return current;
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                currentSection = section;
            }
            current[key] = setting.Value;
        }
        if (current is not null) yield return current;
    }
}
