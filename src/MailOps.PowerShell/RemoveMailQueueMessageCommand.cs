using System.Management.Automation;

namespace MailOps.PowerShell;

/// <summary>Remove-MailQueueMessage: deletes queued messages (postsuper -d), optionally returning a non-delivery notice to each sender.</summary>
[Cmdlet(VerbsCommon.Remove, "MailQueueMessage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveMailQueueMessageCommand : MailQueueMessageCommand
{
    /// <summary>Send the sender an RFC 3464 non-delivery notice for the recipients not yet delivered (never to the null sender).</summary>
    [Parameter]
    [Alias("Dsn")]
    public SwitchParameter NotifySender { get; set; }

    private protected override void Process(QueueTarget target, string queueId)
    {
        var action = NotifySender ? "Delete queued message and notify its sender" : "Delete queued message";
        if (!ShouldProcess($"{queueId} ({target.Where})", action)) return;
        var removed = Run(() => target.Control.DeleteAsync(queueId, NotifySender, Cancellation), queueId, "MailQueueMessageNotRemovable");
        if (removed is not null) WriteVerbose($"{queueId}: removed (from <{removed.Sender}>, {removed.Recipients.Count} recipient(s) not yet delivered).");
    }
}
