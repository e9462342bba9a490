using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>A mail alias as the cmdlets return it: an address (or "@domain" catch-all) and where its mail goes.</summary>
public sealed class MailAliasInfo
{
    internal MailAliasInfo(VirtualAlias alias, string aliasesFile, string? configPath, string? computerName = null)
    {
        Address = alias.Pattern;
        Destination = alias.Addresses.ToArray();
        AliasesFile = aliasesFile;
        ConfigPath = configPath;
        ComputerName = computerName;
    }

    /// <summary>The alias address, lower-case; "@domain" for a catch-all.</summary>
    public string Address { get; }

    /// <summary>The addresses its mail is delivered to.</summary>
    public string[] Destination { get; }

    /// <summary>True for a "@domain" catch-all, which takes mail for addresses that are neither users nor aliases.</summary>
    public bool IsCatchAll => Address.StartsWith('@');

    /// <summary>The virtual(5) table the alias is in.</summary>
    public string AliasesFile { get; }

    /// <summary>The server configuration file the alias was read through; null for the embedded default. Pipes into -ConfigPath.</summary>
    public string? ConfigPath { get; }

    /// <summary>
    /// The host whose file this came from (-Session, or this machine with -UsersFile/-AliasesFile); null for the bundled
    /// server. Piped into the user and alias cmdlets it sends each object back to its own host.
    /// </summary>
    public string? ComputerName { get; }

    /// <inheritdoc />
    public override string ToString() => Address;
}
