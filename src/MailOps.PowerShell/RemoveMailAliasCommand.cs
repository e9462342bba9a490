using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Remove-MailAlias: removes an alias from the server's (or each host's) virtual(5) table.</summary>
[Cmdlet(VerbsCommon.Remove, "MailAlias", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class RemoveMailAliasCommand : MailAliasCommand
{
    /// <summary>The alias to remove ("@domain" for a catch-all).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var address = Address.Trim().ToLowerInvariant();
        if (OnHosts)
        {
            ChangeOnHosts(address, async (session, token) =>
                {
                    var table = await AliasesTableOnAsync(session, token).ConfigureAwait(false);
                    _ = (await HostMailAccounts.ReadAliasesAsync(session.Connection, table, token).ConfigureAwait(false)).Find(address)
                        ?? throw new MailAliasNotFoundException(address);
                    return table;
                },
                (session, table) => ShouldProcess(address, $"Remove mail alias from {session.ComputerName}:{table}"),
                async (session, table, token) =>
                {
                    await HostMailAccounts.RemoveAliasAsync(session.Connection, table, address, token).ConfigureAwait(false);
                    return true;
                },
                (_, _, _) => { });
            return;
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        try
        {
            if (directory.FindAlias(address) is null) throw new MailAliasNotFoundException(address);
            if (!ShouldProcess(address, $"Remove mail alias from {directory.AliasesFile}")) return;
            directory.RemoveAlias(address);
        }
        catch (Exception e) when (e is MailAliasNotFoundException or IOException or UnauthorizedAccessException)
        {
            WriteAccountError(e, address, directory.AliasesFile, writing: true);
        }
    }
}
