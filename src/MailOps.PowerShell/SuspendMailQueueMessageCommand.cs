using System.Management.Automation;
using MailOps.Hosts;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>Suspend-MailQueueMessage: puts queued messages on hold (postsuper -h); delivery leaves them alone until released.</summary>
[Cmdlet(VerbsLifecycle.Suspend, "MailQueueMessage", SupportsShouldProcess = true)]
[OutputType(typeof(MailQueueMessage))]
public sealed class SuspendMailQueueMessageCommand : MailQueueMessageCommand
{
    /// <summary>Writes each held message.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private protected override string Action => "Put queued message on hold";

    private protected override string Done => "placed on hold";

    private protected override bool PassThruWanted => PassThru;

    private protected override void Process(QueueTarget target, string queueId)
    {
        if (!ShouldProcess($"{queueId} ({target.Where})", Action)) return;
        var held = Run(() => target.Control.HoldAsync(queueId, Cancellation), queueId, "MailQueueMessageCorrupt");
        if (held is not null && PassThru) WriteObject(Tag(held, target));
    }

    private protected override Task<int> RunOnPostfixAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken) =>
        PostfixQueue.HoldAsync(host, configDirectory, queueIds, cancellationToken);
}
