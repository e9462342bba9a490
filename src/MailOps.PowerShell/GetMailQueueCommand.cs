using System.Management.Automation;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>Get-MailQueue: the messages in the bundled server's queue, as postqueue -j describes them.</summary>
[Cmdlet(VerbsCommon.Get, "MailQueue")]
[OutputType(typeof(MailQueueMessage))]
public sealed class GetMailQueueCommand : MailQueueCommand
{
    /// <summary>A server of this session (its name or the MailServer object); Get-MailServer output binds here.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [MailServerNameTransformation]
    public string? Server { get; set; }

    /// <summary>The server configuration file whose queue is listed; the embedded default when neither it nor -Server is given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ConfigPath { get; set; }

    /// <summary>Only these queues.</summary>
    [Parameter]
    [ValidateSet("incoming", "active", "deferred", "hold", "corrupt", IgnoreCase = true)]
    public string[]? Queue { get; set; }

    /// <summary>Only messages whose envelope sender matches one of these wildcards ("&lt;&gt;" for the null sender).</summary>
    [Parameter]
    [AllowEmptyString]
    public string[]? Sender { get; set; }

    /// <summary>Only messages with a recipient still to be delivered that matches one of these wildcards.</summary>
    [Parameter]
    public string[]? Recipient { get; set; }

    /// <summary>Only messages that arrived at least this long ago.</summary>
    [Parameter]
    public TimeSpan OlderThan { get; set; }

    /// <summary>Only these queue IDs.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[]? QueueId { get; set; }

    private bool OlderThanGiven => MyInvocation.BoundParameters.ContainsKey(nameof(OlderThan));

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = OpenQueue(Server, ConfigPath);
        if (target is null) return;
        var filter = new MailQueueFilter
        {
            Queues = Queue?.Select(q => q.ToLowerInvariant()).ToArray(),
            Senders = Sender,
            Recipients = Recipient,
            OlderThan = OlderThanGiven ? OlderThan : null,
            QueueIds = QueueId,
        };
        var found = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var messages = target.Control.ListAsync(filter, Cancellation).GetAsyncEnumerator(Cancellation);
            try
            {
                while (messages.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                {
                    found.Add(messages.Current.QueueId);
                    WriteObject(Tag(messages.Current, target));
                }
            }
            finally
            {
                messages.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            WriteError(MailOpsErrors.Record(e, "MailQueueReadFailed", e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.ReadError, target.Where));
            return;
        }
        // An ID asked for by itself that is not there is an error; one that other conditions left out is not.
        if (QueueId is null || Queue is not null || Sender is not null || Recipient is not null || OlderThanGiven) return;
        foreach (var id in QueueId.Where(id => !found.Contains(id)))
            WriteError(MailOpsErrors.Record(new MailQueueMessageNotFoundException(id), "MailQueueMessageNotFound", ErrorCategory.ObjectNotFound, id));
    }
}
