using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>
/// What the user and alias cmdlets share: -ConfigPath, and the one place that turns it into the server's users and
/// aliases (<see cref="MailAccountDirectory"/>), so they act on the files Start-MailServer reads.
/// </summary>
public abstract class MailAccountCommand : PSCmdlet
{
    private readonly Dictionary<string, MailAccountDirectory> _opened = new(StringComparer.Ordinal);

    /// <summary>The server configuration file; the embedded default (under the XDG data directory) when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ConfigPath { get; set; }

    /// <summary>The full path of -ConfigPath, or null for the embedded default.</summary>
    private protected string? ResolvedConfigPath =>
        string.IsNullOrEmpty(ConfigPath) ? null : GetUnresolvedProviderPathFromPSPath(ConfigPath);

    /// <summary>The users and aliases of the configuration -ConfigPath names; null (with an error written) when it cannot be read.</summary>
    private protected MailAccountDirectory? OpenDirectory()
    {
        var path = ResolvedConfigPath;
        var key = path ?? "";
        if (_opened.TryGetValue(key, out var directory)) return directory;
        var config = ServerConfiguration.Load(this, path);
        if (config is null) return null;
        try
        {
            directory = MailAccountDirectory.Open(config);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(MailOpsErrors.Record(e, "MailServerConfigReadFailed", ErrorCategory.ReadError, path));
            return null;
        }
        WriteVerbose($"Users in {directory.UsersFile}, aliases in {directory.AliasesFile}; local domains {string.Join(", ", directory.Domains)}.");
        _opened[key] = directory;
        return directory;
    }

    /// <summary>Writes the error for a users or aliases file that could not be read or written.</summary>
    private protected void WriteFileError(Exception e, string errorId, object? target) =>
        WriteError(MailOpsErrors.Record(e, errorId, e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, target));

    /// <summary>The user as the cmdlets show it, without its password hash.</summary>
    private protected MailUserInfo ToInfo(MailUser user, MailAccountDirectory directory) => new(user, directory.UsersFile, ResolvedConfigPath);

    /// <summary>The alias as the cmdlets show it.</summary>
    private protected MailAliasInfo ToInfo(VirtualAlias alias, MailAccountDirectory directory) => new(alias, directory.AliasesFile, ResolvedConfigPath);
}
