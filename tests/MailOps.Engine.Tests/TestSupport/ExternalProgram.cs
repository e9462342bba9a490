using System.Diagnostics;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>Runs the real programs the tests compare with or drive (swaks, doveadm, postmap, python3, ...).</summary>
public static class ExternalProgram
{
    /// <summary>Runs <paramref name="program"/>, feeding <paramref name="input"/> to its standard input; stops it after 60 s.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string program, IEnumerable<string> arguments, string? input = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        if (input is not null)
            await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in 60 s: {await output}{await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/>; the output is standard output then standard error.</summary>
    public static async Task<(int ExitCode, string Output)> RunForOutputAsync(string file, params string[] arguments)
    {
        var (exitCode, output, error) = await RunAsync(file, (IEnumerable<string>)arguments);
        return (exitCode, output + error);
    }
}
