using MailOps.Dns;
using MailOps.Engine.Configuration;

namespace MailOps.Engine.Auth;

/// <summary>
/// The users and aliases of one server configuration, as an administrator changes them: the Dovecot passwd-file
/// (<see cref="MailServerConfig.UsersFile"/>) and the virtual(5) table (<see cref="MailServerConfig.AliasesFile"/>) that
/// the bundled server and Dovecot read. Every change reads the file, changes it and saves it atomically, so a failed
/// change leaves the file as it was. New files (and their folder) are created readable by their owner only.
/// </summary>
public sealed class MailAccountDirectory
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    const UnixFileMode OwnerOnlyFolder = OwnerOnly | UnixFileMode.UserExecute;

    readonly HashSet<string> _domains;

    MailAccountDirectory(MailServerConfig config)
    {
        UsersFile = config.UsersFile;
        AliasesFile = config.AliasesFile;
        Domains = config.Domains;
        _domains = new HashSet<string>(config.Domains, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The passwd-file of the users.</summary>
    public string UsersFile { get; }

    /// <summary>The virtual(5) alias table.</summary>
    public string AliasesFile { get; }

    /// <summary>The local domains: users and aliases must be in one of them.</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>The users and aliases of <paramref name="config"/>; nothing is read or written yet.</summary>
    public static MailAccountDirectory Open(MailServerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new MailAccountDirectory(config);
    }

    /// <summary>
    /// Checks that <paramref name="text"/> is a mailbox address (local-part@domain) and returns it lower-case with the
    /// domain normalised; with <paramref name="allowCatchAll"/>, "@domain" is accepted too.
    /// </summary>
    public static bool TryNormalizeAddress(string? text, bool allowCatchAll, out string address, out string error)
    {
        address = "";
        var value = text?.Trim() ?? "";
        var at = value.LastIndexOf('@');
        if (at < 0 || at == value.Length - 1)
        {
            error = $"'{text}' is not a mail address (local-part@domain).";
            return false;
        }
        var local = value[..at];
        if (local.Length == 0 && !allowCatchAll)
        {
            error = $"'{text}' has no local part; only an alias may be a catch-all @domain.";
            return false;
        }
        // The characters a passwd-file line or a virtual(5) line cannot carry, and RFC 5321 4.5.3.1.1's 64-octet limit.
        if (local.Length > 64 || local.AsSpan().IndexOfAny(" \t\r\n:,\"@#") >= 0 || local.StartsWith('.') || local.EndsWith('.'))
        {
            error = $"'{text}' has a local part that is not a plain RFC 5321 local part.";
            return false;
        }
        if (!MailDomainName.TryNormalize(value[(at + 1)..], out var domain, out error))
            return false;
        address = local.ToLowerInvariant() + "@" + domain;
        error = "";
        return true;
    }

    /// <summary>The users whose address matches <paramref name="pattern"/> ('*' and '?'), in file order.</summary>
    public IReadOnlyList<MailUser> GetUsers(string pattern = "*") => PasswdFile.Load(UsersFile).List(pattern);

    /// <summary>The user with <paramref name="address"/>, or null.</summary>
    public MailUser? FindUser(string address) => PasswdFile.Load(UsersFile).Find(address);

    /// <summary>Adds a user whose password is stored as <paramref name="passwordHash"/> (see <see cref="PasswordScheme.Hash(ReadOnlySpan{char}, int)"/>).</summary>
    /// <exception cref="ArgumentException">The address is not a mail address.</exception>
    /// <exception cref="MailDomainNotLocalException">The address is not in a local domain.</exception>
    /// <exception cref="MailUserExistsException">The user exists.</exception>
    public MailUser AddUser(string address, string passwordHash, long? quotaBytes = null)
    {
        var normalized = LocalAddress(address, allowCatchAll: false);
        var file = PasswdFile.Load(UsersFile);
        var user = AddUser(file, normalized, passwordHash, quotaBytes);
        Save(file);
        return user;
    }

    /// <summary>Adds the user to <paramref name="file"/> (not saved): the one way a user is added, here and on a host.</summary>
    internal static MailUser AddUser(PasswdFile file, string normalizedAddress, string passwordHash, long? quotaBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(passwordHash);
        if (quotaBytes is < 0)
            throw new ArgumentOutOfRangeException(nameof(quotaBytes), "A quota cannot be negative.");
        return file.Add(new MailUser { Address = normalizedAddress, PasswordHash = passwordHash, QuotaBytes = quotaBytes is 0 ? null : quotaBytes });
    }

    /// <summary>
    /// Changes a user in one write: a new stored password, a quota (0 removes it), enabled or not. Null leaves a
    /// setting as it is.
    /// </summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public MailUser SetUser(string address, string? passwordHash = null, long? quotaBytes = null, bool? enabled = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var file = PasswdFile.Load(UsersFile);
        var user = SetUser(file, address, passwordHash, quotaBytes, enabled);
        if (passwordHash is not null || quotaBytes is not null || enabled is not null)
            Save(file);
        return user;
    }

    /// <summary>Changes the user in <paramref name="file"/> (not saved); null leaves a setting as it is.</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    internal static MailUser SetUser(PasswdFile file, string address, string? passwordHash, long? quotaBytes, bool? enabled)
    {
        var user = file.Find(address) ?? throw new MailUserNotFoundException(address);
        if (passwordHash is not null)
            user = file.SetPasswordHash(address, passwordHash);
        if (quotaBytes is not null)
            user = file.SetQuota(address, quotaBytes is 0 ? null : quotaBytes);
        if (enabled is not null)
            user = file.SetEnabled(address, enabled.Value);
        return user;
    }

    /// <summary>Removes a user's line from the passwd-file; the mailbox on disk is kept.</summary>
    /// <exception cref="MailUserNotFoundException">No such user.</exception>
    public void RemoveUser(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var file = PasswdFile.Load(UsersFile);
        if (!file.Remove(address))
            throw new MailUserNotFoundException(address);
        Save(file);
    }

    /// <summary>The aliases whose address matches <paramref name="pattern"/> ('*' and '?'), in file order.</summary>
    public IReadOnlyList<VirtualAlias> GetAliases(string pattern = "*") => VirtualAliasMap.Load(AliasesFile).List(pattern);

    /// <summary>The alias for exactly <paramref name="address"/> (case-insensitive), or null.</summary>
    public VirtualAlias? FindAlias(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return VirtualAliasMap.Load(AliasesFile).Find(address);
    }

    /// <summary>Adds an alias: mail to <paramref name="address"/> (or, for "@domain", to any unknown address there) goes to <paramref name="destinations"/>.</summary>
    /// <exception cref="ArgumentException">The address or a destination is not a mail address.</exception>
    /// <exception cref="MailDomainNotLocalException">The address is not in a local domain.</exception>
    /// <exception cref="MailAliasExistsException">The alias exists.</exception>
    public VirtualAlias AddAlias(string address, IEnumerable<string> destinations)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        var normalized = LocalAddress(address, allowCatchAll: true);
        var map = VirtualAliasMap.Load(AliasesFile);
        var alias = AddAlias(map, normalized, destinations);
        SaveAliases(map);
        return alias;
    }

    /// <summary>Adds the alias to <paramref name="map"/> (not saved): the one way an alias is added, here and on a host.</summary>
    /// <exception cref="ArgumentException">A destination is not a mail address.</exception>
    /// <exception cref="MailAliasExistsException">The alias exists.</exception>
    internal static VirtualAlias AddAlias(VirtualAliasMap map, string normalizedAddress, IEnumerable<string> destinations)
    {
        var targets = new List<string>();
        foreach (var destination in destinations)
        {
            if (!TryNormalizeAddress(destination, allowCatchAll: false, out var target, out var error))
                throw new ArgumentException(error, nameof(destinations));
            targets.Add(target);
        }
        if (map.Lookup(normalizedAddress) is not null)
            throw new MailAliasExistsException(normalizedAddress);
        return map.Set(normalizedAddress, targets);
    }

    /// <summary>Removes an alias.</summary>
    /// <exception cref="MailAliasNotFoundException">No such alias.</exception>
    public void RemoveAlias(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var map = VirtualAliasMap.Load(AliasesFile);
        if (!map.Remove(address.Trim()))
            throw new MailAliasNotFoundException(address);
        SaveAliases(map);
    }

    /// <summary>The address lower-case and normalised.</summary>
    /// <exception cref="ArgumentException">It is not a mail address.</exception>
    internal static string NormalizeAddress(string address, bool allowCatchAll) =>
        TryNormalizeAddress(address, allowCatchAll, out var normalized, out var error) ? normalized : throw new ArgumentException(error, nameof(address));

    string LocalAddress(string address, bool allowCatchAll)
    {
        var normalized = NormalizeAddress(address, allowCatchAll);
        if (!_domains.Contains(normalized[(normalized.LastIndexOf('@') + 1)..]))
            throw new MailDomainNotLocalException(normalized, Domains);
        return normalized;
    }

    void Save(PasswdFile file)
    {
        CreateFolderOf(file.Path);
        file.Save();
    }

    void SaveAliases(VirtualAliasMap map)
    {
        CreateFolderOf(map.Path!);
        map.Save(OwnerOnly);
    }

    static void CreateFolderOf(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (Directory.Exists(folder))
            return;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(folder);
        else
            Directory.CreateDirectory(folder, OwnerOnlyFolder);
    }
}
