using System.Management.Automation;
using MailOps.Hosts;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>
/// Get-MailQueue: the messages in a mail queue, as postqueue -j describes them: the bundled server's (by default), or
/// Postfix's on this machine (-Postfix) or on many hosts at once (-Session), through postqueue -j.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MailQueue", DefaultParameterSetName = ServerSet)]
[OutputType(typeof(MailQueueMessage))]
public sealed class GetMailQueueCommand : MailQueueCommand
{
    private const string ServerSet = "Server";
    private const string PostfixSet = "Postfix";

    /// <summary>A server of this session (its name or the MailServer object); Get-MailServer output binds here.</summary>
    [Parameter(ParameterSetName = ServerSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [MailServerNameTransformation]
    public string? Server { get; set; }

    /// <summary>The server configuration file whose queue is listed; the embedded default when neither it nor -Server is given.</summary>
    [Parameter(ParameterSetName = ServerSet, ValueFromPipelineByPropertyName = true)]
    public string? ConfigPath { get; set; }

    /// <summary>Postfix hosts (New-MailHostSession) whose queues are listed with postqueue -j, in parallel.</summary>
    [Parameter(ParameterSetName = PostfixSet)]
    [ValidateNotNullOrEmpty]
    public MailHostSession[]? Session { get; set; }

    /// <summary>This machine's Postfix queue (postqueue -j run locally) instead of the bundled server's; implied by -Session and -ConfigDirectory.</summary>
    [Parameter(ParameterSetName = PostfixSet)]
    public SwitchParameter Postfix { get; set; }

    /// <summary>The Postfix configuration directory on each host (postqueue -c); the host's default when omitted.</summary>
    [Parameter(ParameterSetName = PostfixSet)]
    [ValidateNotNullOrEmpty]
    public string? ConfigDirectory { get; set; }

    /// <summary>How many hosts are listed at once.</summary>
    [Parameter(ParameterSetName = PostfixSet)]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

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

    private MailQueueFilter Filter => new()
    {
        Queues = Queue?.Select(q => q.ToLowerInvariant()).ToArray(),
        Senders = Sender,
        Recipients = Recipient,
        OlderThan = OlderThanGiven ? OlderThan : null,
        QueueIds = QueueId,
    };

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (ParameterSetName == PostfixSet) ListPostfix(found);
        else if (!ListServer(found)) return;
        // An ID asked for by itself that is not there (on any host) is an error; one that other conditions left out is not.
        if (QueueId is null || Queue is not null || Sender is not null || Recipient is not null || OlderThanGiven) return;
        foreach (var id in QueueId.Where(id => !found.Contains(id)))
            WriteError(MailOpsErrors.Record(new MailQueueMessageNotFoundException(id), "MailQueueMessageNotFound", ErrorCategory.ObjectNotFound, id));
    }

    private void ListPostfix(HashSet<string> found)
    {
        var sessions = Session ?? [MailHostSession.Local];
        var filter = Filter;
        ForEachHost(sessions, ThrottleLimit, (session, token) => PostfixQueue.ListAsync(session.Connection, ConfigDirectory, filter, token),
            (session, messages) =>
            {
                WriteVerbose($"{session.ComputerName}: {messages.Count} message(s) from postqueue -j.");
                foreach (var message in messages)
                {
                    found.Add(message.QueueId);
                    WriteObject(Tag(message, session, ConfigDirectory));
                }
            }, session => session);
    }

    private bool ListServer(HashSet<string> found)
    {
        var target = OpenQueue(Server, ConfigPath);
        if (target is null) return false;
        try
        {
            var messages = target.Control.ListAsync(Filter, Cancellation).GetAsyncEnumerator(Cancellation);
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
            return false;
        }
        return true;
    }
}
