using System.Management.Automation;
using MailOps.Hosts;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>
/// Remove-MailQueueMessage: deletes queued messages (postsuper -d), on the bundled server optionally returning a
/// non-delivery notice to each sender; on Postfix hosts all the messages of a host in one postsuper command.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "MailQueueMessage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveMailQueueMessageCommand : MailQueueMessageCommand
{
    /// <summary>Send the sender an RFC 3464 non-delivery notice for the recipients not yet delivered (never to the null sender); the bundled server only.</summary>
    [Parameter]
    [Alias("Dsn")]
    public SwitchParameter NotifySender { get; set; }

    private protected override string Action => NotifySender ? "Delete queued message and notify its sender" : "Delete queued message";

    private protected override string Done => "deleted";

    private protected override void Process(QueueTarget target, string queueId)
    {
        if (!ShouldProcess($"{queueId} ({target.Where})", Action)) return;
        var removed = Run(() => target.Control.DeleteAsync(queueId, NotifySender, Cancellation), queueId, "MailQueueMessageNotRemovable");
        if (removed is not null) WriteVerbose($"{queueId}: removed (from <{removed.Sender}>, {removed.Recipients.Count} recipient(s) not yet delivered).");
    }

    // postsuper -d deletes silently; Postfix has no command that returns a notice for a deleted message, so refuse
    // rather than delete without the notice that was asked for.
    private protected override bool CanRunOnPostfix()
    {
        if (!NotifySender) return true;
        WriteError(MailOpsErrors.Record(new NotSupportedException("Postfix deletes queued mail silently (postsuper -d): -NotifySender works on the bundled server only. Nothing was deleted; to bounce instead, expire the message on the host (postsuper -e, then postqueue -i)."),
            "MailQueueNotifySenderNotSupported", ErrorCategory.NotImplemented, string.Join(' ', QueueId)));
        return false;
    }

    private protected override Task<int> RunOnPostfixAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken) =>
        PostfixQueue.DeleteAsync(host, configDirectory, queueIds, cancellationToken);
}
