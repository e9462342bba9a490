namespace MailOps.Hosts;

/// <summary>What a finished command left: its exit code and everything it wrote.</summary>
/// <param name="ExitCode">The exit code; -1 when the command ended by a signal.</param>
/// <param name="Output">Standard output.</param>
/// <param name="Error">Standard error.</param>
public sealed record HostCommandResult(int ExitCode, string Output, string Error)
{
    /// <summary>Whether the command exited with 0.</summary>
    public bool Succeeded => ExitCode == 0;
}
