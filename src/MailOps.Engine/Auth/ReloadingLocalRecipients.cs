using MailOps.Engine.Policy;
using MailOps.Engine.Store;

namespace MailOps.Engine.Auth;

/// <summary>
/// The local recipients of a running server, read again from the users and aliases files when either changes, so that
/// New-MailUser, Set-MailUser -QuotaBytes and New-MailAlias take effect without a restart (Postfix re-reads its maps in the same way).
/// </summary>
public sealed class ReloadingLocalRecipients : ILocalRecipients, IMailQuotaLimits
{
    private readonly IReadOnlyList<string> _domains;
    private readonly string _usersFile;
    private readonly string _aliasesFile;
    private readonly string? _catchAll;
    private readonly object _gate = new();
    private (DateTime Users, DateTime Aliases) _stamp;
    private LocalRecipientDirectory _current;

    /// <summary>Reads the files now; a missing file is an empty one. <paramref name="catchAll"/> gets mail for unknown local addresses.</summary>
    public ReloadingLocalRecipients(IEnumerable<string> localDomains, string usersFile, string aliasesFile, string? catchAll = null)
    {
        _catchAll = catchAll;
        _domains = [.. localDomains];
        _usersFile = usersFile;
        _aliasesFile = aliasesFile;
        _stamp = Stamp();
        _current = Read();
    }

    /// <inheritdoc />
    public bool IsLocalDomain(string domain)
    {
        // The domains come from the configuration, not from the files: no need to look at the files (two stats) here.
        lock (_gate) return _current.IsLocalDomain(domain);
    }

    /// <inheritdoc />
    public IReadOnlyList<string>? Resolve(string address) => Current().Resolve(address);

    /// <inheritdoc />
    public long? StorageLimitFor(string user) => Current().StorageLimitFor(user);

    private LocalRecipientDirectory Current()
    {
        var stamp = Stamp();
        lock (_gate)
        {
            if (stamp != _stamp)
            {
                _current = Read();
                _stamp = stamp;
            }
            return _current;
        }
    }

    private LocalRecipientDirectory Read() =>
        new(_domains, PasswdFile.Load(_usersFile), VirtualAliasMap.Load(_aliasesFile)) { CatchAll = _catchAll };

    private (DateTime, DateTime) Stamp() => (File.GetLastWriteTimeUtc(_usersFile), File.GetLastWriteTimeUtc(_aliasesFile));
}
