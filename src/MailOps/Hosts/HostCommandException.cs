namespace MailOps.Hosts;

/// <summary>A command run on a host exited with a failure code.</summary>
public sealed class HostCommandException : Exception
{
    /// <summary>Creates the exception for <paramref name="command"/> on <paramref name="computerName"/> and its <paramref name="result"/>.</summary>
    public HostCommandException(string computerName, HostCommand command, HostCommandResult result)
        : base($"{computerName}: {command} exited with {result.ExitCode}: {FirstLines(result.Error, result.Output)}")
    {
        ComputerName = computerName;
        Command = command;
        Result = result;
    }

    /// <summary>The host the command ran on.</summary>
    public string ComputerName { get; }

    /// <summary>The command.</summary>
    public HostCommand Command { get; }

    /// <summary>Its exit code and output.</summary>
    public HostCommandResult Result { get; }

    private static string FirstLines(string error, string output)
    {
        var text = (string.IsNullOrWhiteSpace(error) ? output : error).Trim();
        return text.Length > 500 ? text[..500] + "..." : text;
    }
}
