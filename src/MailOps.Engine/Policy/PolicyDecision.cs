namespace MailOps.Engine.Policy;

/// <summary>The answer of a policy check: accept, or the SMTP reply to reject with.</summary>
/// <param name="Code">The SMTP reply code, 250 when accepted.</param>
/// <param name="EnhancedCode">The enhanced status code (RFC 3463), e.g. "5.7.1".</param>
/// <param name="Text">The reply text.</param>
public sealed record PolicyDecision(int Code, string EnhancedCode, string Text)
{
    /// <summary>The decision that lets the command through.</summary>
    public static PolicyDecision Accept { get; } = new(250, "2.1.5", "Ok");

    /// <summary>True when the command is accepted.</summary>
    public bool IsAccepted => Code < 400;
}
