using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>New-MailAlias: adds an alias (or an @domain catch-all) to the server's (or each host's) virtual(5) table.</summary>
[Cmdlet(VerbsCommon.New, "MailAlias", SupportsShouldProcess = true)]
[OutputType(typeof(MailAliasInfo))]
public sealed class NewMailAliasCommand : MailAliasCommand
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
        var destinations = Destination;
        if (OnHosts)
        {
            ChangeOnHosts(address, AliasesTableOnAsync,
                (session, table) => ShouldProcess(address, $"Create mail alias to {string.Join(", ", destinations)} in {session.ComputerName}:{table}"),
                (session, table, token) => HostMailAccounts.AddAliasAsync(session.Connection, table, address, destinations, token),
                (session, table, alias) => WriteObject(ToInfo(alias, session, table)));
            return;
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        if (!ShouldProcess(address, $"Create mail alias to {string.Join(", ", Destination)} in {directory.AliasesFile}")) return;
        try
        {
            WriteObject(ToInfo(directory.AddAlias(address, Destination), directory));
        }
        catch (Exception e) when (e is MailDomainNotLocalException or MailAliasExistsException or IOException or UnauthorizedAccessException)
        {
            WriteAccountError(e, address, directory.AliasesFile, writing: true);
        }
    }
}
