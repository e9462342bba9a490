namespace MailOps.Probes;

/// <summary>A command of one stage and the server's reply to it.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Command">The command as sent (credentials masked), or empty for the greeting.</param>
/// <param name="Code">The reply code.</param>
/// <param name="EnhancedCode">The enhanced status code, or null.</param>
/// <param name="Text">The reply text.</param>
public sealed record SmtpStageReply(SmtpProbeStage Stage, string Command, int Code, string? EnhancedCode, string Text)
{
    /// <inheritdoc />
    public override string ToString() => $"{Stage}: {Code} {Text}";
}
