using System.Management.Automation;
using MailOps.Engine.Configuration;

namespace MailOps.PowerShell;

/// <summary>
/// Reads the server configuration a cmdlet's -ConfigPath names (the embedded default when it names none), so that the
/// user, alias and queue cmdlets act on the same files Start-MailServer uses, with the same error IDs.
/// </summary>
internal static class ServerConfiguration
{
    /// <summary>The configuration at <paramref name="path"/> (a full path, or null for the embedded default); null with the error written when it cannot be read.</summary>
    public static MailServerConfig? Load(Cmdlet cmdlet, string? path)
    {
        try
        {
            // The host name does not choose any file; DefaultDomain spares the DNS lookup DefaultHostname() makes.
            return path is null
                ? MailServerConfig.EmbeddedDefault(MailServerConfig.DefaultDataPath(), MailServerConfig.DefaultDomain)
                : MailServerConfigFile.Load(path);
        }
        catch (FileNotFoundException e)
        {
            cmdlet.WriteError(MailOpsErrors.Record(e, "MailServerConfigNotFound", ErrorCategory.ObjectNotFound, path));
        }
        catch (MailServerConfigException e)
        {
            cmdlet.WriteError(MailOpsErrors.Record(e, "MailServerConfigInvalid", ErrorCategory.InvalidData, path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cmdlet.WriteError(MailOpsErrors.Record(e, "MailServerConfigReadFailed", ErrorCategory.ReadError, path));
        }
        return null;
    }
}
