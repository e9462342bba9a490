using System.Diagnostics;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>Runs a real client program (swaks, smtp-source, python3) and captures what it says.</summary>
public static class ExternalProgram
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/>; fails the test if it hangs.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 60 s: {await output}{await error}");
        }

        return (process.ExitCode, await output + await error);
    }
}
