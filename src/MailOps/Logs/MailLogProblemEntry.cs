namespace MailOps.Logs;

/// <summary>A <c>warning:</c>, <c>error:</c>, <c>fatal:</c> or <c>panic:</c> line (Dovecot: <c>Warning:</c>, <c>Error:</c>, <c>Fatal:</c>, <c>Panic:</c>).</summary>
public sealed class MailLogProblemEntry : MailLogEntry
{
    /// <summary><c>warning</c>, <c>error</c>, <c>fatal</c> or <c>panic</c>, in lower case.</summary>
    public string Severity { get; init; } = "";

    /// <summary>The text after the severity.</summary>
    public string Message { get; init; } = "";
}
