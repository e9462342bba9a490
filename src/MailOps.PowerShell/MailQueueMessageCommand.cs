using System.Management.Automation;

namespace MailOps.PowerShell;

/// <summary>
/// The cmdlets that change given queued messages (Remove-, Suspend-, Resume-MailQueueMessage): the message identity
/// they take from Get-MailQueue output by property name, and one call per queue ID, each failure its own error record.
/// </summary>
public abstract class MailQueueMessageCommand : MailQueueCommand
{
    /// <summary>The messages to act on; Get-MailQueue output binds here.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] QueueId { get; set; } = [];

    /// <summary>The server of this session whose queue holds them (name or MailServer object).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [MailServerNameTransformation]
    public string? Server { get; set; }

    /// <summary>The server configuration file naming the queue; the embedded default when neither it nor -Server is given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ConfigPath { get; set; }

    /// <summary>The machine whose queue holds them; only this machine's queue can be changed.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ComputerName { get; set; }

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
