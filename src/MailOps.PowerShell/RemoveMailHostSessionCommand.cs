using System.Management.Automation;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>Remove-MailHostSession: closes host sessions (disconnects) and forgets them.</summary>
[Cmdlet(VerbsCommon.Remove, "MailHostSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = SessionSet)]
[OutputType(typeof(void))]
public sealed class RemoveMailHostSessionCommand : PSCmdlet
{
    private const string SessionSet = "Session";
    private const string IdSet = "Id";

    /// <summary>The sessions to close, typically from Get-MailHostSession.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SessionSet, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public MailHostSession[] Session { get; set; } = [];

    /// <summary>The Ids of the sessions to close.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet)]
    public int[] Id { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        IEnumerable<MailHostSession> sessions = ParameterSetName == IdSet ? ById() : Session;
        foreach (var session in sessions)
        {
            if (session == MailHostSession.Local) continue;
            if (!ShouldProcess($"{session} (Id {session.Id})", "Close host session")) continue;
            OpenMailHostSessions.CloseAsync(session).GetAwaiter().GetResult();
        }
    }

    private List<MailHostSession> ById()
    {
        var found = new List<MailHostSession>();
        foreach (var id in Id)
        {
            var session = OpenMailHostSessions.All.FirstOrDefault(s => s.Id == id);
            if (session is null)
                WriteError(MailOpsErrors.Record(new ItemNotFoundException($"No host session has Id {id}."), "MailHostSessionNotFound", ErrorCategory.ObjectNotFound, id));
            else found.Add(session);
        }
        return found;
    }
}
