using System.Management.Automation;
using System.Security;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>New-MailUser: adds a mailbox user to the server's Dovecot passwd-file, the password stored as SHA512-CRYPT.</summary>
[Cmdlet(VerbsCommon.New, "MailUser", SupportsShouldProcess = true, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(MailUserInfo))]
public sealed class NewMailUserCommand : MailAccountCommand
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
        var directory = OpenDirectory();
        if (directory is null) return;
        if (!ShouldProcess(address, $"Create mail user in {directory.UsersFile}")) return;
        long? quota = MyInvocation.BoundParameters.ContainsKey(nameof(QuotaBytes)) ? QuotaBytes : null;
        try
        {
            WriteObject(ToInfo(directory.AddUser(address, SecurePassword.Hash(password), quota), directory));
        }
        catch (MailDomainNotLocalException e)
        {
            WriteError(MailOpsErrors.Record(e, "MailUserDomainNotLocal", ErrorCategory.InvalidArgument, address));
        }
        catch (MailUserExistsException e)
        {
            WriteError(MailOpsErrors.Record(e, "MailUserExists", ErrorCategory.ResourceExists, address));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteFileError(e, "MailUsersFileWriteFailed", directory.UsersFile);
        }
    }
}
