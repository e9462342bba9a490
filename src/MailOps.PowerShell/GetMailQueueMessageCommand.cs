using System.Management.Automation;
using MailOps.Engine.Queue;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>
/// Get-MailQueueMessage: what is inside queued messages (envelope, headers, body, the parsed MIME message): from the
/// bundled server's queue files, or from Postfix through postcat -q on this machine or the message's host.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MailQueueMessage")]
[OutputType(typeof(MailQueueMessageContent))]
public sealed class GetMailQueueMessageCommand : MailQueueChangeCommand
{
    /// <summary>The messages to show; Get-MailQueue output binds here.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] QueueId { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var id in QueueId)
        {
            if (IsPostfix) ReadPostfix(id);
            else ReadServer(id);
        }
    }

    private void ReadPostfix(string id)
    {
        if (!PostfixQueue.IsQueueId(id))
        {
            WriteError(MailOpsErrors.InvalidArgument($"'{id}' is not a Postfix queue ID (hexadecimal like 4F930B3207C, or a long ID); nothing was run for it.", "MailQueueIdInvalid", id));
            return;
        }
        var sessions = PostfixSessions(id);
        // Not found anywhere is one error for the ID; a host that failed has its own error and does not count as "not there".
        var answered = false;
        ForEachHost(sessions, ThrottleLimit, async (session, token) =>
            {
                try { return (Content: (MailQueueMessageContent?)await PostfixQueue.ReadAsync(session.Connection, ConfigDirectory, id, token).ConfigureAwait(false), Failure: (Exception?)null); }
                catch (MailQueueMessageNotFoundException) { return (null, null); }
                catch (Exception e) when (e is not OperationCanceledException) { return (null, e); }
            },
            (session, result) =>
            {
                if (result.Failure is not null)
                {
                    answered = true;
                    WriteError(MailOpsErrors.FromHost(result.Failure, session));
                    return;
                }
                if (result.Content is null) return;
                answered = true;
                WriteObject(result.Content);
            }, session => session);
        if (!answered && sessions.Count > 0)
            WriteError(MailOpsErrors.Record(new MailQueueMessageNotFoundException(id), "MailQueueMessageNotFound", ErrorCategory.ObjectNotFound, id));
    }

    private void ReadServer(string id)
    {
        var target = OpenQueue(Server, ConfigPath);
        if (target is null || !IsLocal(ComputerName, id)) return;
        if (!MailOps.Engine.Queue.QueueId.IsValid(id))
        {
            WriteError(MailOpsErrors.InvalidArgument($"'{id}' is not a queue ID.", "MailQueueIdInvalid", id));
            return;
        }
        var content = Run(async () =>
        {
            var queue = new MailQueue(target.Root);
            var state = queue.Find(id) ?? throw new MailQueueMessageNotFoundException(id);
            var envelope = await queue.ReadEnvelopeAsync(state, id, Cancellation).ConfigureAwait(false);
            await using var stream = queue.OpenContent(state, id);
            return MailQueueMessageContent.FromStream(stream, id, QueueListing.NameOf(state), envelope.Sender,
                [.. envelope.Recipients.Select(r => r.Address)], envelope.ArrivalTime, Environment.MachineName);
        }, id, "MailQueueMessageUnreadable");
        if (content is not null) WriteObject(content);
    }
}
