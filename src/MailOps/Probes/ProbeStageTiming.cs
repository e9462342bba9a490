namespace MailOps.Probes;

/// <summary>How long one stage of a probe took.</summary>
/// <param name="Stage">The stage name (Connect, Ehlo, StartTls, Login...).</param>
/// <param name="Elapsed">From the stage's first byte sent (or the connect) to its last reply.</param>
public sealed record ProbeStageTiming(string Stage, TimeSpan Elapsed)
{
    /// <inheritdoc />
    public override string ToString() => $"{Stage} {Elapsed.TotalMilliseconds:0.0} ms";
}
