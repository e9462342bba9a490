using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Get-MailUser: lists the server's mailbox users, by address or wildcard.</summary>
[Cmdlet(VerbsCommon.Get, "MailUser")]
[OutputType(typeof(MailUserInfo))]
public sealed class GetMailUserCommand : MailAccountCommand
{
    /// <summary>Addresses or wildcard patterns ('*', '?'); every user by default.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = ["*"];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var directory = OpenDirectory();
        if (directory is null) return;
        foreach (var pattern in Address)
        {
            try
            {
                if (WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    foreach (var user in directory.GetUsers(pattern)) WriteObject(ToInfo(user, directory));
                }
                else if (directory.FindUser(pattern.Trim()) is { } user)
                {
                    WriteObject(ToInfo(user, directory));
                }
                else
                {
                    WriteError(MailOpsErrors.Record(new MailUserNotFoundException(pattern), "MailUserNotFound", ErrorCategory.ObjectNotFound, pattern));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(MailOpsErrors.Record(e, "MailUsersFileReadFailed", e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.ReadError, directory.UsersFile));
                return;
            }
        }
    }
}
