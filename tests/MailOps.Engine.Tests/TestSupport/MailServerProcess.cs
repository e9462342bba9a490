using System.Diagnostics;
using MailOps.Engine.Tests.Smtp;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>A whole <see cref="MailServer"/> running in another process (the test assembly's "mail-server" host mode), for kill -9 and cross-process tests.</summary>
static class MailServerProcess
{
    /// <summary>Starts the host on <paramref name="configFile"/> and waits for its "ready" line.</summary>
    public static async Task<Process> StartAsync(string configFile)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(SmtpTestHost).Assembly.Location);
        start.ArgumentList.Add("mail-server");
        start.ArgumentList.Add(configFile);
        var process = Process.Start(start)!;
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(ready?.StartsWith("ready") == true, $"host did not start: {ready} {(process.HasExited ? await process.StandardError.ReadToEndAsync() : "")}");
        return process;
    }
}
