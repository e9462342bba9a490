using System.Management.Automation;
using MailOps.Engine;

namespace MailOps.PowerShell;

/// <summary>Get-MailServer: the bundled mail servers running in this session, with endpoints, uptime and counters.</summary>
[Cmdlet(VerbsCommon.Get, "MailServer")]
[OutputType(typeof(MailServer))]
public sealed class GetMailServerCommand : PSCmdlet
{
    /// <summary>Names to list (wildcards); all by default.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var servers = RunningMailServers.All;
        if (Name is null)
        {
            WriteObject(servers, true);
            return;
        }
        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var found = servers.Where(s => pattern.IsMatch(s.Name)).ToArray();
            if (found.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                WriteError(MailOpsErrors.Record(new ItemNotFoundException($"No mail server named '{name}' is running."), "MailServerNotFound", ErrorCategory.ObjectNotFound, name));
            WriteObject(found, true);
        }
    }
}
