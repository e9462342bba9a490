using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>New-MailAlias: adds an alias (or an @domain catch-all) to the server's virtual(5) table.</summary>
[Cmdlet(VerbsCommon.New, "MailAlias", SupportsShouldProcess = true)]
[OutputType(typeof(MailAliasInfo))]
public sealed class NewMailAliasCommand : MailAccountCommand
{
    /// <summary>The alias address in a local domain, or "@domain" for a catch-all.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>The addresses that get the alias's mail.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Destination { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!MailAccountDirectory.TryNormalizeAddress(Address, allowCatchAll: true, out var address, out var error))
        {
            WriteError(MailOpsErrors.InvalidArgument(error, "InvalidMailAddress", Address));
            return;
        }
        foreach (var destination in Destination)
        {
            if (!MailAccountDirectory.TryNormalizeAddress(destination, allowCatchAll: false, out _, out error))
            {
                WriteError(MailOpsErrors.InvalidArgument(error, "InvalidMailAddress", destination));
                return;
            }
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        if (!ShouldProcess(address, $"Create mail alias to {string.Join(", ", Destination)} in {directory.AliasesFile}")) return;
        try
        {
            WriteObject(ToInfo(directory.AddAlias(address, Destination), directory));
        }
        catch (MailDomainNotLocalException e)
        {
            WriteError(MailOpsErrors.Record(e, "MailAliasDomainNotLocal", ErrorCategory.InvalidArgument, address));
        }
        catch (MailAliasExistsException e)
        {
            WriteError(MailOpsErrors.Record(e, "MailAliasExists", ErrorCategory.ResourceExists, address));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteFileError(e, "MailAliasesFileWriteFailed", directory.AliasesFile);
        }
    }
}
