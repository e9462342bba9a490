using System.Management.Automation;
using MailOps.Hosts;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>Resume-MailQueueMessage: releases held messages (postsuper -H) to deferred or incoming, so that they are delivered.</summary>
[Cmdlet(VerbsLifecycle.Resume, "MailQueueMessage", SupportsShouldProcess = true)]
[OutputType(typeof(MailQueueMessage))]
public sealed class ResumeMailQueueMessageCommand : MailQueueMessageCommand
{
    /// <summary>Writes each released message.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private protected override string Action => "Release queued message from hold";

    private protected override string Done => "released from hold";

    private protected override bool PassThruWanted => PassThru;

    private protected override void Process(QueueTarget target, string queueId)
    {
        if (!ShouldProcess($"{queueId} ({target.Where})", Action)) return;
        var released = Run(() => target.Control.ReleaseAsync(queueId, Cancellation), queueId, "MailQueueMessageNotHeld");
        if (released is not null && PassThru) WriteObject(Tag(released, target));
    }

    private protected override Task<int> RunOnPostfixAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken) =>
        PostfixQueue.ReleaseAsync(host, configDirectory, queueIds, cancellationToken);
}
