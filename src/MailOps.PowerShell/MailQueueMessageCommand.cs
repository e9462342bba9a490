using System.Management.Automation;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>
/// The cmdlets that change given queued messages (Remove-, Suspend-, Resume-MailQueueMessage): the queue IDs they take
/// from Get-MailQueue output by property name. On the bundled server one call per queue ID, each failure its own error
/// record; on Postfix the approved IDs of each host go to one postsuper command per host at the end of the pipeline.
/// </summary>
public abstract class MailQueueMessageCommand : MailQueueChangeCommand
{
    /// <summary>The messages to act on; Get-MailQueue output binds here.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] QueueId { get; set; } = [];

    /// <summary>What ShouldProcess asks about each message ("Delete queued message").</summary>
    private protected abstract string Action { get; }

    /// <summary>What was done, for messages ("deleted").</summary>
    private protected abstract string Done { get; }

    /// <summary>Whether the changed messages are written afterwards.</summary>
    private protected virtual bool PassThruWanted => false;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (IsPostfix)
        {
            if (!CanRunOnPostfix()) return;
            foreach (var id in QueueId) AddPostfix(id, Action);
            return;
        }
        var target = OpenQueue(Server, ConfigPath);
        if (target is null) return;
        foreach (var id in QueueId)
        {
            if (IsLocal(ComputerName, id)) Process(target, id);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing() =>
        RunPending(async (host, directory, ids, token) => await RunOnPostfixAsync(host, directory, ids, token).ConfigureAwait(false), Done, PassThruWanted);

    /// <summary>Acts on one message of the bundled server (asking ShouldProcess first).</summary>
    private protected abstract void Process(QueueTarget target, string queueId);

    /// <summary>Acts on every approved message of one Postfix host in one command; returns how many the command did.</summary>
    private protected abstract Task<int> RunOnPostfixAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken);

    /// <summary>False, with an error record for this item, when its parameters cannot be done on Postfix.</summary>
    private protected virtual bool CanRunOnPostfix() => true;
}
