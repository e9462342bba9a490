using System.Management.Automation;

namespace MailOps.PowerShell;

/// <summary>
/// The cmdlets that change given queued messages (Remove-, Suspend-, Resume-MailQueueMessage): the queue IDs they take
/// from Get-MailQueue output by property name, and one call per queue ID, each failure its own error record.
/// </summary>
public abstract class MailQueueMessageCommand : MailQueueChangeCommand
{
    /// <summary>The messages to act on; Get-MailQueue output binds here.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] QueueId { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = OpenQueue(Server, ConfigPath);
        if (target is null) return;
        foreach (var id in QueueId)
        {
            if (IsLocal(ComputerName, id)) Process(target, id);
        }
    }

    /// <summary>Acts on one message (asking ShouldProcess first).</summary>
    private protected abstract void Process(QueueTarget target, string queueId);
}
