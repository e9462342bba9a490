namespace MailOps.Probes;

/// <summary>An IMAP or POP3 probe stage failed: the dialogue ends with this outcome.</summary>
internal sealed class MailAccessStageException(MailAccessProbeOutcome outcome, string message) : Exception(message)
{
    /// <summary>The outcome to report.</summary>
    public MailAccessProbeOutcome Outcome { get; } = outcome;
}
