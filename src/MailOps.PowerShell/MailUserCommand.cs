using System.Management.Automation;
using MailOps.Engine.Auth;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>What the user cmdlets share: -UsersFile, the Dovecot passwd-file on each host.</summary>
public abstract class MailUserCommand : MailAccountCommand
{
    /// <summary>
    /// The Dovecot passwd-file on each host (an absolute path); when omitted, the file of the host's first passwd-file
    /// passdb (doveconf -n). Without -Session, this machine's file.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? UsersFile { get; set; }

    private protected override string Noun => "MailUser";

    private protected override string FileNoun => "MailUsersFile";

    private protected override string? HostFile => UsersFile;

    /// <summary>The passwd-file to work on on <paramref name="session"/>: -UsersFile, or the one Dovecot's passdb reads there.</summary>
    private protected Task<string> UsersFileOnAsync(MailHostSession session, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(UsersFile)) return HostMailAccounts.FindUsersFileAsync(session.Connection, null, cancellationToken);
        return UsersFile.StartsWith('/') ? Task.FromResult(UsersFile) : throw new ArgumentException($"-UsersFile '{UsersFile}' is not an absolute path on the host.");
    }

    /// <summary>The user as the cmdlets show it, stamped with the host it is on.</summary>
    private protected static MailUserInfo ToInfo(MailUser user, MailHostSession session, string usersFile) => new(user, usersFile, null, session.ComputerName);
}
