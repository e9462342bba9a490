using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Remove-MailUser: removes a mailbox user from the passwd-file (the server's or each host's); its stored mail is kept.</summary>
[Cmdlet(VerbsCommon.Remove, "MailUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveMailUserCommand : MailUserCommand
{
    /// <summary>The user to remove.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var address = Address.Trim();
        if (OnHosts)
        {
            ChangeOnHosts(address, async (session, token) =>
                {
                    var file = await UsersFileOnAsync(session, token).ConfigureAwait(false);
                    _ = (await HostMailAccounts.ReadUsersAsync(session.Connection, file, token).ConfigureAwait(false)).Find(address)
                        ?? throw new MailUserNotFoundException(address);
                    return file;
                },
                (session, file) => ShouldProcess(address, $"Remove mail user from {session.ComputerName}:{file}"),
                async (session, file, token) =>
                {
                    await HostMailAccounts.RemoveUserAsync(session.Connection, file, address, token).ConfigureAwait(false);
                    return true;
                },
                (_, _, _) => { });
            return;
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        try
        {
            if (directory.FindUser(address) is null) throw new MailUserNotFoundException(address);
            if (!ShouldProcess(address, $"Remove mail user from {directory.UsersFile}")) return;
            directory.RemoveUser(address);
        }
        catch (Exception e) when (e is MailUserNotFoundException or IOException or UnauthorizedAccessException)
        {
            WriteAccountError(e, address, directory.UsersFile, writing: true);
        }
    }
}
