using System.Management.Automation;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>Get-MailHostSession: the host sessions open in this session, by Id or host name.</summary>
[Cmdlet(VerbsCommon.Get, "MailHostSession", DefaultParameterSetName = HostNameSet)]
[OutputType(typeof(MailHostSession))]
public sealed class GetMailHostSessionCommand : PSCmdlet
{
    private const string HostNameSet = "HostName";
    private const string IdSet = "Id";

    /// <summary>Session Ids to return.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    public int[] Id { get; set; } = [];

    /// <summary>Host names to return (wildcards); all sessions by default.</summary>
    [Parameter(Position = 0, ParameterSetName = HostNameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? HostName { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sessions = OpenMailHostSessions.All;
        if (ParameterSetName == IdSet)
        {
            foreach (var id in Id)
            {
                var found = sessions.FirstOrDefault(s => s.Id == id);
                if (found is null) WriteError(NotFound($"No host session has Id {id}.", id));
                else WriteObject(found);
            }
            return;
        }
        if (HostName is null)
        {
            WriteObject(sessions, true);
            return;
        }
        foreach (var name in HostName)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var found = sessions.Where(s => pattern.IsMatch(s.HostName)).ToArray();
            if (found.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                WriteError(NotFound($"No host session to '{name}' is open.", name));
            WriteObject(found, true);
        }
    }

    private static ErrorRecord NotFound(string message, object target) =>
        MailOpsErrors.Record(new ItemNotFoundException(message), "MailHostSessionNotFound", ErrorCategory.ObjectNotFound, target);
}
