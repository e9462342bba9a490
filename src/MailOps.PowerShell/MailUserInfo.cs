using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>A mail user as the cmdlets return it: everything but the password hash, which stays in the users file.</summary>
public sealed class MailUserInfo
{
    internal MailUserInfo(MailUser user, string usersFile, string? configPath, string? computerName = null)
    {
        Address = user.Address;
        Domain = user.Address[(user.Address.LastIndexOf('@') + 1)..];
        Enabled = user.Enabled;
        QuotaBytes = user.QuotaBytes;
        UsersFile = usersFile;
        ConfigPath = configPath;
        ComputerName = computerName;
    }

    /// <summary>The login name and mailbox address, lower-case.</summary>
    public string Address { get; }

    /// <summary>The domain part of <see cref="Address"/>.</summary>
    public string Domain { get; }

    /// <summary>False when logins are refused (mail is still delivered).</summary>
    public bool Enabled { get; }

    /// <summary>The storage quota in bytes; null when the user has none.</summary>
    public long? QuotaBytes { get; }

    /// <summary>The passwd-file the user is in.</summary>
    public string UsersFile { get; }

    /// <summary>The server configuration file the user was read through; null for the embedded default. Pipes into -ConfigPath.</summary>
    public string? ConfigPath { get; }

    /// <summary>
    /// The host whose file this came from (-Session, or this machine with -UsersFile/-AliasesFile); null for the bundled
    /// server. Piped into the user and alias cmdlets it sends each object back to its own host.
    /// </summary>
    public string? ComputerName { get; }

    /// <inheritdoc />
    public override string ToString() => Address;
}
