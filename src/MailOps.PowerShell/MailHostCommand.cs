using System.Management.Automation;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>
/// The base of every cmdlet that works on mail hosts: <c>-Session &lt;MailHostSession[]&gt; [-ThrottleLimit]</c>.
/// Sessions arrive as a parameter or from the pipeline; the work runs on every host in parallel, each result is
/// stamped with the host's ComputerName, and one host's failure is an ErrorRecord for that host (its target the
/// session) while the others carry on. With no session the work runs on this machine (local mode).
/// </summary>
public abstract class MailHostCommand : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<MailHostSession> _sessions = [];

    /// <summary>The hosts to work on; this machine when none.</summary>
    [Parameter(ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public MailHostSession[]? Session { get; set; }

    /// <summary>How many hosts are worked on at once.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>Cancelled when the pipeline stops (Ctrl-C, Select-Object -First).</summary>
    protected CancellationToken StopToken => _stopping.Token;

    /// <summary>The sessions given so far (parameter or pipeline), or the local session when none was given.</summary>
    protected IReadOnlyList<MailHostSession> Sessions => _sessions.Count > 0 ? _sessions : [MailHostSession.Local];

    /// <summary>Collects the sessions of this pipeline item; cmdlets that work once for all hosts call this and work in EndProcessing.</summary>
    protected void CollectSessions()
    {
        foreach (var session in Session ?? [])
            if (!_sessions.Contains(session)) _sessions.Add(session);
    }

    /// <summary>The sessions of the current pipeline item, or the local session when none was given.</summary>
    protected IReadOnlyList<MailHostSession> CurrentSessions => Session is { Length: > 0 } given ? given : [MailHostSession.Local];

    /// <summary>
    /// Runs <paramref name="work"/> on each of <paramref name="sessions"/> in parallel and writes every object it
    /// returns, stamped with the host's ComputerName, as each host finishes.
    /// </summary>
    protected void WriteFromEachHost<T>(IReadOnlyList<MailHostSession> sessions, Func<MailHostSession, CancellationToken, Task<IEnumerable<T>>> work)
    {
        ForEachHost(sessions, work, (session, items) =>
        {
            foreach (var item in items) WriteObject(Stamp(item, session));
        });
    }

    /// <summary>
    /// Runs <paramref name="work"/> on each of <paramref name="sessions"/> in parallel; <paramref name="onResult"/> gets
    /// each host's result on the pipeline thread (where WriteObject and ShouldProcess may be called).
    /// </summary>
    protected void ForEachHost<T>(IReadOnlyList<MailHostSession> sessions, Func<MailHostSession, CancellationToken, Task<T>> work, Action<MailHostSession, T> onResult)
    {
        foreach (var session in sessions) WriteVerbose($"{session}: working on {session.ComputerName}");
        new HostFanOut(this, ThrottleLimit, StopToken).Run(sessions, work, onResult, session => session);
    }

    /// <summary>Cancels the work on every host.</summary>
    protected override void StopProcessing() => _stopping.Cancel();

    // Typed results carry ComputerName themselves; anything else gets it as a note property.
    private static object? Stamp(object? item, MailHostSession session)
    {
        if (item is null) return null;
        var wrapped = PSObject.AsPSObject(item);
        if (wrapped.Properties["ComputerName"] is null) wrapped.Properties.Add(new PSNoteProperty("ComputerName", session.ComputerName));
        return wrapped;
    }
}
