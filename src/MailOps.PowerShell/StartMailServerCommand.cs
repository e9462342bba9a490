using System.Management.Automation;
using System.Net.Sockets;
using MailOps.Engine;
using MailOps.Engine.Configuration;

namespace MailOps.PowerShell;

/// <summary>Start-MailServer: starts the bundled mail server, on the embedded loopback default or from a configuration file.</summary>
[Cmdlet(VerbsLifecycle.Start, "MailServer", SupportsShouldProcess = true)]
[OutputType(typeof(MailServer))]
public sealed class StartMailServerCommand : PSCmdlet
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>A configuration file (New-MailServerConfig writes one); the embedded default when omitted.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <summary>The server's name in this session.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "default";

    /// <summary>Keep running in the foreground until Ctrl-C, then stop gracefully.</summary>
    [Parameter]
    public SwitchParameter Foreground { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        MailServerConfig config;
        try
        {
            config = ConfigPath is null
                ? MailServerConfig.EmbeddedDefault(MailServerConfig.DefaultDataPath(), MailServerConfig.DefaultHostname())
                : MailServerConfigFile.Load(GetUnresolvedProviderPathFromPSPath(ConfigPath));
        }
        catch (MailServerConfigException e)
        {
            ThrowTerminatingError(MailOpsErrors.Record(e, "MailServerConfigInvalid", ErrorCategory.InvalidData, e.File));
            return;
        }
        catch (FileNotFoundException e)
        {
            ThrowTerminatingError(MailOpsErrors.Record(e, "MailServerConfigNotFound", ErrorCategory.ObjectNotFound, ConfigPath));
            return;
        }
        if (!ShouldProcess(string.Join(", ", config.Listeners), $"Start mail server '{Name}'")) return;

        MailServer server;
        try
        {
            WriteVerbose($"Data under {config.DataPath}; log {config.LogPath}.");
            server = RunningMailServers.StartAsync(config, Name, _cancel.Token).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException e)
        {
            ThrowTerminatingError(MailOpsErrors.Record(e, "MailServerExists", ErrorCategory.ResourceExists, Name));
            return;
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            ThrowTerminatingError(MailOpsErrors.Record(e, "MailServerStartFailed", ErrorCategory.OpenError, Name));
            return;
        }

        foreach (var endpoint in server.Endpoints) Inform($"  {endpoint.Protocol,-12} {endpoint.EndPoint}");
        Inform($"Mail for @{string.Join(", @", config.Domains)} is delivered to {config.MailPath}; log: {config.LogPath}");
        Inform($"Add a user: New-MailUser -Address alice@{config.PrimaryDomain} -Password (Read-Host -AsSecureString){(ConfigPath is null ? "" : $" -ConfigPath '{ConfigPath}'")}");
        WriteObject(server);
        if (!Foreground) return;

        Inform("Running in the foreground; Ctrl-C stops the server.");
        try { Task.Delay(Timeout.Infinite, _cancel.Token).GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { }
        RunningMailServers.StopAsync(server, TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    private void Inform(string text) =>
        WriteInformation(new HostInformationMessage { Message = text }, ["MailServer"]);

    /// <inheritdoc />
    protected override void StopProcessing() => _cancel.Cancel();
}
