using System.Management.Automation;
using MailOps.Engine.Auth;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>What the alias cmdlets share: -AliasesFile, the Postfix virtual(5) table on each host.</summary>
public abstract class MailAliasCommand : MailAccountCommand
{
    /// <summary>
    /// The Postfix virtual(5) table on each host: type:/path (hash:/etc/postfix/virtual) or a path, whose type is then
    /// the one virtual_alias_maps gives it, else default_database_type. When omitted, the first file table in the
    /// host's virtual_alias_maps (postconf -x -h). Without -Session, this machine's table.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? AliasesFile { get; set; }

    private protected override string Noun => "MailAlias";

    private protected override string FileNoun => "MailAliasesFile";

    private protected override string? HostFile => AliasesFile;

    /// <summary>The table to work on on <paramref name="session"/>, as type:path.</summary>
    private protected Task<string> AliasesTableOnAsync(MailHostSession session, CancellationToken cancellationToken) =>
        HostMailAccounts.FindAliasesTableAsync(session.Connection, string.IsNullOrEmpty(AliasesFile) ? null : AliasesFile, null, cancellationToken);

    /// <summary>The alias as the cmdlets show it, stamped with the host it is on.</summary>
    private protected static MailAliasInfo ToInfo(VirtualAlias alias, MailHostSession session, string aliasesTable) =>
        new(alias, HostMailAccounts.FileOf(aliasesTable), null, session.ComputerName);
}
