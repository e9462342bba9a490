using System.Management.Automation;
using MailOps.Hosts;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>
/// Send-MailQueue: flushes the queue (postqueue -f): every deferred message is due for delivery now; with -QueueId only
/// those messages (postqueue -i). On the bundled server or on Postfix hosts.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "MailQueue", SupportsShouldProcess = true)]
[OutputType(typeof(MailQueueMessage))]
public sealed class SendMailQueueCommand : MailQueueChangeCommand
{
    private readonly List<(MailHostSession Session, string? ConfigDirectory)> _flushAll = [];

    /// <summary>Only these messages; every deferred message when not given. Get-MailQueue output binds here.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? QueueId { get; set; }

    /// <summary>Writes each message made due (on Postfix: as postqueue -j shows it afterwards, so a message delivered at once is not written).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (IsPostfix)
        {
            if (QueueId is not null)
            {
                foreach (var id in QueueId) AddPostfix(id, "Deliver queued message now");
                return;
            }
            foreach (var session in PostfixSessions("the queue"))
            {
                var key = (session, string.IsNullOrEmpty(ConfigDirectory) ? null : ConfigDirectory);
                if (!_flushAll.Contains(key) && ShouldProcess($"{session.ComputerName}: {ConfigDirectory ?? "Postfix"}", "Deliver every deferred message now (postqueue -f)"))
                    _flushAll.Add(key);
            }
            return;
        }
        var target = OpenQueue(Server, ConfigPath);
        if (target is null) return;
        if (QueueId is null)
        {
            if (!IsLocal(ComputerName, "*") || !ShouldProcess(target.Where, "Deliver every deferred message now")) return;
            var flushed = Run(() => target.Control.FlushAllAsync(Cancellation), "*", "MailQueueMessageHeld");
            WriteVerbose($"{flushed?.Count ?? 0} deferred message(s) due now.");
            if (flushed is not null && PassThru) WriteObject(flushed.Select(m => Tag(m, target)), true);
            return;
        }
        foreach (var id in QueueId)
        {
            if (!IsLocal(ComputerName, id) || !ShouldProcess($"{id} ({target.Where})", "Deliver queued message now")) continue;
            var flushed = Run(() => target.Control.FlushAsync(id, Cancellation), id, "MailQueueMessageHeld");
            if (flushed is not null && PassThru) WriteObject(Tag(flushed, target));
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        RunPending(async (host, directory, ids, token) =>
        {
            await PostfixQueue.FlushAsync(host, directory, ids, token).ConfigureAwait(false);
            return (int?)null;
        }, "made due", PassThru);
        ForEachHost(_flushAll, ThrottleLimit, async (f, token) =>
            {
                await PostfixQueue.FlushAsync(f.Session.Connection, f.ConfigDirectory, token).ConfigureAwait(false);
                return PassThru ? await PostfixQueue.ListAsync(f.Session.Connection, f.ConfigDirectory, MailQueueFilter.All, token).ConfigureAwait(false) : [];
            },
            (f, after) =>
            {
                WriteVerbose($"{f.Session.ComputerName}: postqueue -f done.");
                foreach (var message in after) WriteObject(Tag(message, f.Session, f.ConfigDirectory));
            }, f => f.Session);
    }
}
