using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Get-MailAlias: lists the aliases of the server (or of each host's virtual(5) table), by address or wildcard.</summary>
[Cmdlet(VerbsCommon.Get, "MailAlias")]
[OutputType(typeof(MailAliasInfo))]
public sealed class GetMailAliasCommand : MailAliasCommand
{
    /// <summary>Alias addresses or wildcard patterns ('*', '?'); every alias by default.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = ["*"];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (OnHosts)
        {
            OnEachHost(HostTargets(), async (session, token) =>
            {
                var table = await AliasesTableOnAsync(session, token).ConfigureAwait(false);
                return (Table: table, Aliases: await HostMailAccounts.ReadAliasesAsync(session.Connection, table, token).ConfigureAwait(false));
            }, (session, read) => WriteMatches(read.Aliases, alias => ToInfo(alias, session, read.Table), session.ComputerName), null, writing: false);
            return;
        }
        var directory = OpenDirectory();
        if (directory is null) return;
        try
        {
            WriteMatches(VirtualAliasMap.Load(directory.AliasesFile), alias => ToInfo(alias, directory), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteAccountError(e, null, directory.AliasesFile, writing: false);
        }
    }

    private void WriteMatches(VirtualAliasMap map, Func<VirtualAlias, MailAliasInfo> info, string? computerName)
    {
        foreach (var pattern in Address)
        {
            if (WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                foreach (var alias in map.List(pattern)) WriteObject(info(alias));
            }
            else if (map.Find(pattern) is { } alias)
            {
                WriteObject(info(alias));
            }
            else
            {
                var missing = MailOpsErrors.Record(new MailAliasNotFoundException(pattern), "MailAliasNotFound", ErrorCategory.ObjectNotFound, pattern);
                if (computerName is not null) missing.ErrorDetails = new ErrorDetails($"{computerName}: {missing.Exception.Message}");
                WriteError(missing);
            }
        }
    }
}
