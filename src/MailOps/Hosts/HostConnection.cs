using System.Text;

namespace MailOps.Hosts;

/// <summary>
/// Where a cmdlet's commands run: this machine (<see cref="LocalHostConnection"/>) or a host over SSH
/// (<see cref="SshHostConnection"/>). Every cmdlet that takes -Session runs programs through this and parses their output.
/// </summary>
public abstract class HostConnection : IAsyncDisposable
{
    /// <summary>The name results from this host are stamped with.</summary>
    public abstract string ComputerName { get; }

    /// <summary>Starts <paramref name="command"/>; cancelling <paramref name="cancellationToken"/> stops it.</summary>
    public abstract Task<RunningHostCommand> StartAsync(HostCommand command, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="command"/> to its end and returns its exit code and output.</summary>
    public async Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        await using var running = await StartAsync(command, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(running.Output, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var output = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var (exitCode, error) = await running.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return new HostCommandResult(exitCode, output, error);
    }

    /// <summary>Runs <paramref name="command"/> and returns its standard output; a failure exit code throws.</summary>
    /// <exception cref="HostCommandException">The command exited with a code other than 0.</exception>
    public async Task<string> RunForOutputAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.Output : throw new HostCommandException(ComputerName, command, result);
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
