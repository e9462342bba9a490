using System.Management.Automation;
using MailOps.Hosts;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>
/// The cmdlets that take queued messages from Get-MailQueue output (Remove-, Suspend-, Resume-MailQueueMessage,
/// Send-MailQueue, Get-MailQueueMessage): the queue identity they bind by property name, which is either a bundled
/// server (-Server, -ConfigPath) or a Postfix host (-Session, -ConfigDirectory, or -Postfix for this machine), and the
/// routing of each message to the one session its ComputerName names.
/// </summary>
public abstract class MailQueueChangeCommand : MailQueueCommand
{
    private readonly Dictionary<(MailHostSession Session, string? ConfigDirectory), List<string>> _pending = [];

    /// <summary>The server of this session whose queue it is (name or MailServer object).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [MailServerNameTransformation]
    public string? Server { get; set; }

    /// <summary>The server configuration file naming the queue; the embedded default when neither it nor -Server is given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ConfigPath { get; set; }

    /// <summary>The machine whose queue it is: with Postfix, the session whose ComputerName this is; for the bundled server, this machine only.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ComputerName { get; set; }

    /// <summary>Postfix hosts; a message goes only to the session whose ComputerName it carries. Get-MailQueue -Session output binds its own session here.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public MailHostSession[]? Session { get; set; }

    /// <summary>The Postfix configuration directory on the host (-c of postsuper, postqueue, postcat); the host's default when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ConfigDirectory { get; set; }

    /// <summary>This machine's Postfix queue instead of the bundled server's; implied by -Session and -ConfigDirectory.</summary>
    [Parameter]
    public SwitchParameter Postfix { get; set; }

    /// <summary>How many Postfix hosts are worked on at once.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>True when this pipeline item is for a Postfix queue.</summary>
    private protected bool IsPostfix => Postfix || Session is { Length: > 0 } || !string.IsNullOrEmpty(ConfigDirectory);

    /// <summary>
    /// The sessions this pipeline item goes to: those whose ComputerName is the item's (every given one, or this machine,
    /// when it names none); an error record and nothing when the item names a host no session reaches, or when -Server or
    /// -ConfigPath are given with Postfix parameters.
    /// </summary>
    private protected IReadOnlyList<MailHostSession> PostfixSessions(string what)
    {
        if (!string.IsNullOrEmpty(Server) || !string.IsNullOrEmpty(ConfigPath))
        {
            WriteError(MailOpsErrors.InvalidArgument("-Server and -ConfigPath name a bundled server's queue; -Session, -ConfigDirectory and -Postfix a Postfix queue: give one kind.",
                "MailQueueTargetAmbiguous", what));
            return [];
        }
        var sessions = Session is { Length: > 0 } given ? given.Where(s => s is not null).ToArray() : [MailHostSession.Local];
        if (string.IsNullOrEmpty(ComputerName)) return sessions;
        // Several sessions to one host (different users, say): the first one does the work, once.
        var matching = sessions.Where(s => string.Equals(s.ComputerName, ComputerName, StringComparison.OrdinalIgnoreCase)).Take(1).ToArray();
        if (matching.Length == 0)
            WriteError(MailOpsErrors.Record(new ItemNotFoundException($"No session given is to '{ComputerName}'; {what} was left alone there."),
                "MailHostSessionNotFound", ErrorCategory.ObjectNotFound, what));
        return matching;
    }

    /// <summary>
    /// Checks <paramref name="queueId"/> and asks ShouldProcess for each session; approved IDs wait for
    /// <see cref="RunPending"/>, so that one command per host does them all.
    /// </summary>
    private protected void AddPostfix(string queueId, string action)
    {
        if (!PostfixQueue.IsQueueId(queueId))
        {
            WriteError(MailOpsErrors.InvalidArgument($"'{queueId}' is not a Postfix queue ID (hexadecimal like 4F930B3207C, or a long ID); nothing was run for it.",
                "MailQueueIdInvalid", queueId));
            return;
        }
        foreach (var session in PostfixSessions(queueId))
        {
            if (!ShouldProcess($"{queueId} ({session.ComputerName})", action)) continue;
            var key = (session, string.IsNullOrEmpty(ConfigDirectory) ? null : ConfigDirectory);
            if (!_pending.TryGetValue(key, out var ids)) _pending[key] = ids = [];
            if (!ids.Contains(queueId)) ids.Add(queueId);
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> once per host and configuration directory for every approved ID, in parallel;
    /// when postsuper did fewer than asked, an error record names how many were not there. With <paramref name="passThru"/>
    /// the messages are listed afterwards (postqueue -j) and written.
    /// </summary>
    private protected void RunPending(Func<HostConnection, string?, IReadOnlyCollection<string>, CancellationToken, Task<int?>> operation, string done, bool passThru)
    {
        var work = _pending.Select(p => (p.Key.Session, p.Key.ConfigDirectory, Ids: (IReadOnlyCollection<string>)p.Value)).ToList();
        _pending.Clear();
        ForEachHost(work, ThrottleLimit, async (w, token) =>
            {
                var count = await operation(w.Session.Connection, w.ConfigDirectory, w.Ids, token).ConfigureAwait(false);
                var after = passThru ? await PostfixQueue.ListAsync(w.Session.Connection, w.ConfigDirectory, new MailQueueFilter { QueueIds = [.. w.Ids] }, token).ConfigureAwait(false) : [];
                return (count, after);
            },
            (w, result) =>
            {
                WriteVerbose($"{w.Session.ComputerName}: {result.count?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "every"} of {w.Ids.Count} message(s) {done}.");
                if (result.count is { } count && count < w.Ids.Count)
                    WriteError(MailOpsErrors.Record(new MailQueueMessageNotFoundException(w.Ids.Count == 1 ? w.Ids.First() : "", $"{w.Session.ComputerName}: {w.Ids.Count - count} of {w.Ids.Count} message(s) were not {done}: not in the queue (delivered or removed since) or not in a queue this applies to."),
                        "MailQueueMessageNotFound", ErrorCategory.ObjectNotFound, w.Session));
                foreach (var message in result.after) WriteObject(Tag(message, w.Session, w.ConfigDirectory));
            }, w => w.Session);
    }
}
