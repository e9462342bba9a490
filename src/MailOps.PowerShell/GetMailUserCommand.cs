using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Get-MailUser: lists the mailbox users of the server (or of each host's passwd-file), by address or wildcard.</summary>
[Cmdlet(VerbsCommon.Get, "MailUser")]
[OutputType(typeof(MailUserInfo))]
public sealed class GetMailUserCommand : MailUserCommand
{
    /// <summary>Addresses or wildcard patterns ('*', '?'); every user by default.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = ["*"];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (OnHosts)
        {
            OnEachHost(HostTargets(), async (session, token) =>
            {
                var file = await UsersFileOnAsync(session, token).ConfigureAwait(false);
                return (File: file, Users: await HostMailAccounts.ReadUsersAsync(session.Connection, file, token).ConfigureAwait(false));
            }, (session, read) => WriteMatches(read.Users, user => ToInfo(user, session, read.File), session.ComputerName), null, writing: false);
            return;
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        try
        {
            WriteMatches(PasswdFile.Load(directory.UsersFile), user => ToInfo(user, directory), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteAccountError(e, null, directory.UsersFile, writing: false);
        }
    }

    private void WriteMatches(PasswdFile file, Func<MailUser, MailUserInfo> info, string? computerName)
    {
        foreach (var pattern in Address)
        {
            if (WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                foreach (var user in file.List(pattern)) WriteObject(info(user));
            }
            else if (file.Find(pattern.Trim()) is { } user)
            {
                WriteObject(info(user));
            }
            else
            {
                var missing = MailOpsErrors.Record(new MailUserNotFoundException(pattern), "MailUserNotFound", ErrorCategory.ObjectNotFound, pattern);
                if (computerName is not null) missing.ErrorDetails = new ErrorDetails($"{computerName}: {missing.Exception.Message}");
                WriteError(missing);
            }
        }
    }
}
