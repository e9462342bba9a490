using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Remove-MailAlias: removes an alias from the server's virtual(5) table.</summary>
[Cmdlet(VerbsCommon.Remove, "MailAlias", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class RemoveMailAliasCommand : MailAccountCommand
{
    /// <summary>The alias to remove ("@domain" for a catch-all).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var address = Address.Trim().ToLowerInvariant();
        var directory = OpenDirectory();
        if (directory is null) return;
        try
        {
            if (directory.FindAlias(address) is null) throw new MailAliasNotFoundException(address);
            if (!ShouldProcess(address, $"Remove mail alias from {directory.AliasesFile}")) return;
            directory.RemoveAlias(address);
        }
        catch (MailAliasNotFoundException e)
        {
            WriteError(MailOpsErrors.Record(e, "MailAliasNotFound", ErrorCategory.ObjectNotFound, address));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteFileError(e, "MailAliasesFileWriteFailed", directory.AliasesFile);
        }
    }
}
