using System.Management.Automation;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>
/// Send-MailQueue: flushes the queue (postqueue -f): every deferred message is due for delivery now; with -QueueId only
/// those messages (postqueue -i).
/// </summary>
[Cmdlet(VerbsCommunications.Send, "MailQueue", SupportsShouldProcess = true)]
[OutputType(typeof(MailQueueMessage))]
public sealed class SendMailQueueCommand : MailQueueChangeCommand
{
    /// <summary>Only these messages; every deferred message when not given. Get-MailQueue output binds here.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? QueueId { get; set; }

    /// <summary>Writes each message made due.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
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
}
