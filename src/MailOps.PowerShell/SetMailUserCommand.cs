using System.Management.Automation;
using System.Security;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Set-MailUser: changes a mailbox user's password, quota or whether it may log in, on the server or on each host.</summary>
[Cmdlet(VerbsCommon.Set, "MailUser", SupportsShouldProcess = true)]
[OutputType(typeof(MailUserInfo))]
public sealed class SetMailUserCommand : MailUserCommand
{
    /// <summary>The user to change.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>A new password.</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? Password { get; set; }

    /// <summary>A new storage quota in bytes; 0 removes the quota.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long QuotaBytes { get; set; }

    /// <summary>False refuses the user's logins (mail is still delivered); true allows them again.</summary>
    [Parameter]
    public bool Enabled { get; set; }

    /// <summary>Return the changed user.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var address = Address.Trim();
        var bound = MyInvocation.BoundParameters;
        long? quota = bound.ContainsKey(nameof(QuotaBytes)) ? QuotaBytes : null;
        bool? enabled = bound.ContainsKey(nameof(Enabled)) ? Enabled : null;
        if (Password is { Length: 0 })
        {
            WriteError(MailOpsErrors.InvalidArgument("The password is empty.", "InvalidPassword", address));
            return;
        }
        var changes = new List<string>();
        if (Password is not null) changes.Add("set password");
        if (quota is not null) changes.Add(quota == 0 ? "remove quota" : $"set quota to {quota} bytes");
        if (enabled is not null) changes.Add(enabled.Value ? "enable logins" : "disable logins");
        var password = Password;
        var hash = new Lazy<string?>(() => password is null ? null : SecurePassword.Hash(password));
        if (OnHosts)
        {
            ChangeOnHosts(address, async (session, token) =>
                {
                    var file = await UsersFileOnAsync(session, token).ConfigureAwait(false);
                    var current = (await HostMailAccounts.ReadUsersAsync(session.Connection, file, token).ConfigureAwait(false)).Find(address)
                        ?? throw new MailUserNotFoundException(address);
                    return (File: file, Current: current);
                },
                (session, found) =>
                {
                    // Nothing to change: still report an unknown user (done above), and -PassThru still returns the user.
                    if (changes.Count == 0)
                    {
                        if (PassThru) WriteObject(ToInfo(found.Current, session, found.File));
                        return false;
                    }
                    return ShouldProcess($"{address} on {session.ComputerName}:{found.File}", string.Join(", ", changes));
                },
                (session, found, token) => HostMailAccounts.SetUserAsync(session.Connection, found.File, address, hash.Value, quota, enabled, token),
                (session, found, user) =>
                {
                    if (PassThru) WriteObject(ToInfo(user, session, found.File));
                });
            return;
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        try
        {
            if (changes.Count == 0)
            {
                // Nothing to change: still report an unknown user, and -PassThru still returns the user.
                var current = directory.FindUser(address) ?? throw new MailUserNotFoundException(address);
                if (PassThru) WriteObject(ToInfo(current, directory));
                return;
            }
            if (!ShouldProcess(address, string.Join(", ", changes))) return;
            var user = directory.SetUser(address, hash.Value, quota, enabled);
            if (PassThru) WriteObject(ToInfo(user, directory));
        }
        catch (Exception e) when (e is MailUserNotFoundException or IOException or UnauthorizedAccessException)
        {
            WriteAccountError(e, address, directory.UsersFile, writing: true);
        }
    }
}
