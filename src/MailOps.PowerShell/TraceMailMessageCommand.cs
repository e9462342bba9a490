using System.Management.Automation;
using MailOps.Logs;

namespace MailOps.PowerShell;

/// <summary>Trace-MailMessage: follows messages through every queue id and host in the logs and reports each recipient's fate.</summary>
[Cmdlet(VerbsDiagnostic.Trace, "MailMessage", DefaultParameterSetName = "MessageId")]
[OutputType(typeof(MailMessageTrace))]
public sealed class TraceMailMessageCommand : MailLogCommand
{
    /// <summary>The Message-ID (wildcards; angle brackets optional).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "MessageId", ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] MessageId { get; set; } = [];

    /// <summary>A queue id the message had on any host.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "QueueId", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] QueueId { get; set; } = [];

    /// <summary>The envelope sender (wildcards).</summary>
    [Parameter(ParameterSetName = "Address")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Sender { get; set; }

    /// <summary>A recipient (wildcards).</summary>
    [Parameter(ParameterSetName = "Address")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Recipient { get; set; }

    private readonly List<string> _messageIds = [];
    private readonly HashSet<string> _queueIds = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        // Criteria from the pipeline are gathered, and the logs read once (twice: find, then collect) at the end.
        base.ProcessRecord();
        _messageIds.AddRange(MessageId);
        _queueIds.UnionWith(QueueId);
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (ParameterSetName == "Address" && Sender is null && Recipient is null)
        {
            WriteError(MailOpsErrors.InvalidArgument("Give -MessageId, -QueueId, -Sender or -Recipient.", "MailTraceCriteriaMissing", null));
            return;
        }
        var tracer = new MailMessageTracer
        {
            // Pipeline input may bring Message-IDs and queue ids alike: either one selects a message.
            MessageId = _messageIds.Count > 0 ? MessageIdMatcher([.. _messageIds]) : null,
            QueueIds = _queueIds.Count > 0 ? _queueIds : null,
            Sender = Matcher(Sender),
            Recipient = Matcher(Recipient),
        };
        // Read twice (find, then collect); the window applies to both readings.
        var window = new MailLogFilter { Since = SinceOffset, Until = UntilOffset };
        IReadOnlyList<MailMessageTrace> traces;
        try { traces = tracer.Trace(() => window.Apply(ReadAll())); }
        catch (OperationCanceledException) { return; }
        if (traces.Count == 0)
        {
            var what = string.Join(", ", _messageIds.Concat(_queueIds).Concat(Sender ?? []).Concat(Recipient ?? []));
            WriteError(MailOpsErrors.Record(new ItemNotFoundException($"No message in the log matches {what}."), "MailMessageNotInLog", ErrorCategory.ObjectNotFound, what));
        }
        foreach (var trace in traces) WriteObject(trace);
    }
}
