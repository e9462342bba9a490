using MailOps.Engine.Policy;
using MailOps.Engine.Store;

namespace MailOps.Engine.Auth;

/// <summary>
/// The server's own recipients: the local (virtual mailbox) domains, the mailboxes of a Dovecot passwd-file, and a
/// virtual(5) alias map, as Postfix's virtual_mailbox_domains, virtual_mailbox_maps and virtual_alias_maps.
/// </summary>
public sealed class LocalRecipientDirectory : ILocalRecipients, IMailQuotaLimits
{
    readonly HashSet<string> _domains;
    readonly PasswdFile _users;
    readonly VirtualAliasMap _aliases;

    /// <summary>Recipients of <paramref name="localDomains"/>: mailboxes in <paramref name="users"/>, aliases in <paramref name="aliases"/>.</summary>
    public LocalRecipientDirectory(IEnumerable<string> localDomains, PasswdFile users, VirtualAliasMap aliases)
    {
        ArgumentNullException.ThrowIfNull(localDomains);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(aliases);
        _domains = new HashSet<string>(localDomains, StringComparer.OrdinalIgnoreCase);
        _users = users;
        _aliases = aliases;
    }

    /// <summary>
    /// The mailbox that gets mail for addresses in a local domain that are neither an alias nor a mailbox (the server's
    /// catchAll setting); null leaves them unknown, to be refused with 550 5.1.1.
    /// </summary>
    public string? CatchAll { get; init; }

    /// <inheritdoc />
    public bool IsLocalDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        // RFC 5321 2.4: domain names are case-insensitive; a trailing dot names the same domain.
        return _domains.Contains(domain.TrimEnd('.'));
    }

    /// <summary>
    /// Resolves <paramref name="address"/>: aliases first (virtual(5) order, recursively, extensions propagated), then
    /// mailboxes (user+ext@domain is the mailbox user@domain). A "@domain" alias catches only addresses that are
    /// neither an alias nor a mailbox. Alias results in a local domain are returned even if they have no mailbox, as
    /// Postfix does (delivery bounces them). An otherwise unknown address in a local domain goes to <see cref="CatchAll"/>.
    /// Null when the address is unknown (and there is no catch-all) or not in a local domain.
    /// </summary>
    /// <exception cref="AliasExpansionException">The aliases loop or expand too far (answer 451 4.6.0).</exception>
    public IReadOnlyList<string>? Resolve(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var at = address.LastIndexOf('@');
        if (at <= 0 || !IsLocalDomain(address[(at + 1)..]))
            return null;
        if (_aliases.Map(address, IsMailbox) is null)
            return IsMailbox(address) ? [address] : CatchAll is null ? null : [CatchAll];
        return _aliases.Expand(address, IsMailbox);
    }

    /// <summary>The storage limit of mailbox <paramref name="user"/> (its <c>userdb_quota_rule=*:storage=</c>); null for none.</summary>
    public long? StorageLimitFor(string user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return _users.Find(user)?.QuotaBytes;
    }

    /// <summary>True when <paramref name="address"/> (without its extension) is a mailbox in a local domain.</summary>
    public bool IsMailbox(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var at = address.LastIndexOf('@');
        if (at <= 0 || !IsLocalDomain(address[(at + 1)..]))
            return false;
        var (local, _) = _aliases.StripExtension(address[..at]);
        return _users.Find(local + "@" + address[(at + 1)..].TrimEnd('.')) is not null;
    }
}
