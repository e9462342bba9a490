namespace MailOps.Hosts;

/// <summary>A program and its arguments, run on a host without a shell interpreting them (remotely, each word is quoted).</summary>
public sealed class HostCommand
{
    /// <summary>Creates the command <paramref name="program"/> with <paramref name="arguments"/>.</summary>
    public HostCommand(string program, params IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        Program = program;
        Arguments = [.. arguments];
        foreach (var argument in Arguments) ArgumentNullException.ThrowIfNull(argument, nameof(arguments));
    }

    /// <summary>The program: a name looked up on PATH, or a path.</summary>
    public string Program { get; }

    /// <summary>The arguments, each passed as one word.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>
    /// Bytes written to the program's standard input, which is then closed; null: the program reads nothing. Data
    /// that must not appear on a command line (a users file with password hashes) travels this way.
    /// </summary>
    public ReadOnlyMemory<byte>? Input { get; init; }

    /// <summary>The command as a quoted shell line, for messages and -Verbose.</summary>
    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(PosixShell.Quote));
}
