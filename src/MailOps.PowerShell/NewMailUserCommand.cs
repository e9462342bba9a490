using System.Management.Automation;
using System.Security;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>New-MailUser: adds a mailbox user to the server's (or each host's) Dovecot passwd-file, the password stored as SHA512-CRYPT.</summary>
[Cmdlet(VerbsCommon.New, "MailUser", SupportsShouldProcess = true, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(MailUserInfo))]
public sealed class NewMailUserCommand : MailUserCommand
{
    private const string PasswordSet = "Password";
    private const string CredentialSet = "Credential";

    /// <summary>The user's address, which is also the login name; it must be in a local domain.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>The password.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PasswordSet)]
    [ValidateNotNull]
    public SecureString? Password { get; set; }

    /// <summary>A credential whose password is used (its user name is not).</summary>
    [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>The storage quota in bytes; none by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, long.MaxValue)]
    public long QuotaBytes { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!MailAccountDirectory.TryNormalizeAddress(Address, allowCatchAll: false, out var address, out var error))
        {
            WriteError(MailOpsErrors.InvalidArgument(error, "InvalidMailAddress", Address));
            return;
        }
        var password = ParameterSetName == CredentialSet ? Credential!.Password : Password!;
        if (password.Length == 0)
        {
            WriteError(MailOpsErrors.InvalidArgument("The password is empty.", "InvalidPassword", address));
            return;
        }
        long? quota = MyInvocation.BoundParameters.ContainsKey(nameof(QuotaBytes)) ? QuotaBytes : null;
        if (OnHosts)
        {
            // Hashed here, once: only the hash travels, inside the new file on the command's standard input.
            var hash = new Lazy<string>(() => SecurePassword.Hash(password));
            ChangeOnHosts(address, UsersFileOnAsync,
                (session, file) => ShouldProcess(address, $"Create mail user in {session.ComputerName}:{file}"),
                (session, file, token) => HostMailAccounts.AddUserAsync(session.Connection, file, address, hash.Value, quota, token),
                (session, file, user) => WriteObject(ToInfo(user, session, file)));
            return;
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        if (!ShouldProcess(address, $"Create mail user in {directory.UsersFile}")) return;
        try
        {
            WriteObject(ToInfo(directory.AddUser(address, SecurePassword.Hash(password), quota), directory));
        }
        catch (Exception e) when (e is MailDomainNotLocalException or MailUserExistsException or IOException or UnauthorizedAccessException)
        {
            WriteAccountError(e, address, directory.UsersFile, writing: true);
        }
    }
}
