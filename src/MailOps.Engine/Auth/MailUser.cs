namespace MailOps.Engine.Auth;

/// <summary>
/// One mailbox user: a line of Dovecot's passwd-file
/// (<c>user:{SCHEME}hash:uid:gid:gecos:home:shell:extra_fields</c>, doc.dovecot.org "Passwd-file").
/// </summary>
public sealed record MailUser
{
    /// <summary>The login name and mailbox address, e.g. alice@example.com (stored lower-case).</summary>
    public required string Address { get; init; }

    /// <summary>The stored password, "{SCHEME}data" as doveadm-pw(1) prints it.</summary>
    public required string PasswordHash { get; init; }

    /// <summary>
    /// False when the user may not log in: written as the passdb extra field <c>nologin=y</c>, which Dovecot honours
    /// by failing the login even with the right password, while the userdb still finds the user so mail is delivered.
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Storage quota in bytes (<c>userdb_quota_rule=*:storage=...</c>); null when the user has none.</summary>
    public long? QuotaBytes { get; init; }

    /// <summary>The uid field, empty when the userdb's default_fields supply it.</summary>
    public string Uid { get; init; } = "";

    /// <summary>The gid field, empty when the userdb's default_fields supply it.</summary>
    public string Gid { get; init; } = "";

    /// <summary>The gecos field, which Dovecot ignores.</summary>
    public string Gecos { get; init; } = "";

    /// <summary>The home directory field, empty when the userdb's default_fields supply it.</summary>
    public string Home { get; init; } = "";

    /// <summary>The shell field, which Dovecot ignores.</summary>
    public string Shell { get; init; } = "";

    /// <summary>
    /// Every other extra field, kept as written (e.g. <c>userdb_mail=...</c>, <c>allow_nets=...</c>): the ones this
    /// model reads itself (<c>nologin</c>, <c>reason</c>, the default quota rule) are not among them.
    /// </summary>
    public IReadOnlyList<string> OtherExtraFields { get; init; } = [];
}
