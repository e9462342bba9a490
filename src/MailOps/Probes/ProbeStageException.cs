namespace MailOps.Probes;

/// <summary>A probe stage failed: the dialogue ends with this outcome.</summary>
internal sealed class ProbeStageException(SmtpProbeOutcome outcome, string message) : Exception(message)
{
    /// <summary>The outcome to report.</summary>
    public SmtpProbeOutcome Outcome { get; } = outcome;
}
