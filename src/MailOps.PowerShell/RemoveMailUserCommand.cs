using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Remove-MailUser: removes a mailbox user from the passwd-file; its stored mail is kept.</summary>
[Cmdlet(VerbsCommon.Remove, "MailUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveMailUserCommand : MailAccountCommand
{
    /// <summary>The user to remove.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var address = Address.Trim();
        var directory = OpenDirectory();
        if (directory is null) return;
        try
        {
            if (directory.FindUser(address) is null) throw new MailUserNotFoundException(address);
            if (!ShouldProcess(address, $"Remove mail user from {directory.UsersFile}")) return;
            directory.RemoveUser(address);
        }
        catch (MailUserNotFoundException e)
        {
            WriteError(MailOpsErrors.Record(e, "MailUserNotFound", ErrorCategory.ObjectNotFound, address));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteFileError(e, "MailUsersFileWriteFailed", directory.UsersFile);
        }
    }
}
