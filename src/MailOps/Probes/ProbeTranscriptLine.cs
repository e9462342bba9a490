namespace MailOps.Probes;

/// <summary>One line of a probe's conversation with a server.</summary>
/// <param name="Elapsed">Time since the probe started connecting.</param>
/// <param name="Direction">Sent or received.</param>
/// <param name="Tls">The line travelled inside TLS.</param>
/// <param name="Text">The line without its CRLF; credentials are masked.</param>
public sealed record ProbeTranscriptLine(TimeSpan Elapsed, ProbeDirection Direction, bool Tls, string Text)
{
    /// <inheritdoc />
    public override string ToString() => $"{Elapsed.TotalMilliseconds,8:0.0} {(Tls ? "~" : " ")}{(Direction == ProbeDirection.Sent ? "->" : "<-")} {Text}";
}
