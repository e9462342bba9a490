namespace MailOps.Hosts;

/// <summary>
/// A command that is running on a host: its standard output as a stream (read it as it arrives, for large output
/// such as logs), then its exit code and standard error when it ends. Disposing stops it if it still runs.
/// </summary>
public sealed class RunningHostCommand : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<(int ExitCode, string Error)>> _wait;
    private readonly Func<ValueTask> _dispose;

    internal RunningHostCommand(HostCommand command, Stream output, Func<CancellationToken, Task<(int ExitCode, string Error)>> wait, Func<ValueTask> dispose)
    {
        Command = command;
        Output = output;
        _wait = wait;
        _dispose = dispose;
    }

    /// <summary>The command.</summary>
    public HostCommand Command { get; }

    /// <summary>Standard output, readable while the command runs; ends when the command closes it.</summary>
    public Stream Output { get; }

    /// <summary>Waits for the command to end (read <see cref="Output"/> to its end first) and returns its exit code and standard error.</summary>
    public Task<(int ExitCode, string Error)> WaitForExitAsync(CancellationToken cancellationToken = default) => _wait(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dispose();
}
