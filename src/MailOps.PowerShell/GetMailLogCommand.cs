using System.Management.Automation;
using MailOps.Logs;

namespace MailOps.PowerShell;

/// <summary>Get-MailLog: Postfix, Dovecot and bundled-server log lines as typed entries, filtered, streamed.</summary>
[Cmdlet(VerbsCommon.Get, "MailLog")]
[OutputType(typeof(MailLogEntry), typeof(MailLogDeliveryEntry), typeof(MailLogRejectEntry), typeof(MailLogClientEntry), typeof(MailLogQueueEntry),
    typeof(MailLogMessageIdEntry), typeof(MailLogConnectEntry), typeof(MailLogProblemEntry), typeof(MailLogNotificationEntry), typeof(DovecotLoginEntry), typeof(DovecotDeliveryEntry))]
public sealed class GetMailLogCommand : MailLogCommand
{
    /// <summary>Only lines of these queue ids.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? QueueId { get; set; }

    /// <summary>Only lines of messages with this Message-ID (wildcards; angle brackets optional).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? MessageId { get; set; }

    /// <summary>Only lines of messages from this envelope sender (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Sender { get; set; }

    /// <summary>Only lines of messages to this recipient (wildcards), also rejects for it.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Recipient { get; set; }

    /// <summary>Only delivery lines with these results.</summary>
    [Parameter]
    public MailLogDeliveryStatus[]? Status { get; set; }

    /// <summary>Only lines of these programs (wildcards): postfix/smtpd, smtpd, qmgr, dovecot, imap-login, mailops/*.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Program { get; set; }

    private readonly HashSet<string> _queueIds = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        base.ProcessRecord();
        if (QueueId is not null) _queueIds.UnionWith(QueueId);
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var filter = new MailLogFilter
        {
            Since = SinceOffset,
            Until = UntilOffset,
            QueueIds = _queueIds.Count == 0 ? null : _queueIds,
            MessageId = MessageIdMatcher(MessageId),
            Sender = Matcher(Sender),
            Recipient = Matcher(Recipient),
            Status = Status is null ? null : new HashSet<MailLogDeliveryStatus>(Status),
            Program = Matcher(Program),
        };
        foreach (var entry in filter.Apply(ReadAll())) WriteObject(entry);
    }
}
