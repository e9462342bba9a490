using System.Diagnostics;

namespace MailOps.Hosts;

/// <summary>Runs commands on this machine as processes with an argument list: no shell sees the arguments.</summary>
public sealed class LocalHostConnection : HostConnection
{
    /// <summary>The one local connection: commands run as the current user.</summary>
    public static LocalHostConnection Instance { get; } = new();

    private LocalHostConnection() { }

    /// <summary>This machine's host name.</summary>
    public override string ComputerName { get; } = Environment.MachineName;

    /// <inheritdoc />
    public override Task<RunningHostCommand> StartAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(command.Program, command.Arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{command.Program} did not start.");
        if (command.Input is { } input)
        {
            // Input is written while the caller reads output, so a program that writes before it reads cannot stall.
            _ = Task.Run(() =>
            {
                try
                {
                    process.StandardInput.BaseStream.Write(input.Span);
                    process.StandardInput.Close();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // The program ended without reading all of it; its exit code says why.
                }
            }, CancellationToken.None);
        }
        else
        {
            process.StandardInput.Close();
        }
        // Standard error is collected while output is read, so neither pipe can fill and stall the program.
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var kill = cancellationToken.Register(() => Kill(process));
        async Task<(int, string)> Wait(CancellationToken token)
        {
            using var stop = token.Register(() => Kill(process));
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            var text = await error.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            token.ThrowIfCancellationRequested();
            return (process.ExitCode, text);
        }
        async ValueTask Dispose()
        {
            await kill.DisposeAsync().ConfigureAwait(false);
            Kill(process);
            process.Dispose();
        }
        return Task.FromResult(new RunningHostCommand(command, process.StandardOutput.BaseStream, Wait, Dispose));
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
    }
}
