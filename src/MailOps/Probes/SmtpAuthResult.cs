namespace MailOps.Probes;

/// <summary>How AUTH went (RFC 4954).</summary>
/// <param name="Mechanism">The SASL mechanism used, e.g. PLAIN.</param>
/// <param name="Succeeded">The server answered 235.</param>
/// <param name="Code">The final reply code.</param>
/// <param name="Reply">The final reply text.</param>
public sealed record SmtpAuthResult(string Mechanism, bool Succeeded, int Code, string Reply)
{
    /// <inheritdoc />
    public override string ToString() => $"{Mechanism}: {(Succeeded ? "ok" : "failed")} ({Code} {Reply})";
}
