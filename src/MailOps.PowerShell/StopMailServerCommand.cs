using System.Management.Automation;
using MailOps.Engine;

namespace MailOps.PowerShell;

/// <summary>Stop-MailServer: stops a bundled mail server gracefully; nothing accepted is lost.</summary>
[Cmdlet(VerbsLifecycle.Stop, "MailServer", SupportsShouldProcess = true)]
[OutputType(typeof(MailServer))]
public sealed class StopMailServerCommand : PSCmdlet
{
    /// <summary>The servers to stop, by name; Get-MailServer output binds here.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = ["default"];

    /// <summary>Seconds that sessions in DATA get to finish before they are answered 421.</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public int GraceSeconds { get; set; } = 30;

    /// <summary>Writes the stopped server.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            var server = RunningMailServers.Find(name);
            if (server is null)
            {
                WriteError(MailOpsErrors.Record(new ItemNotFoundException($"No mail server named '{name}' is running."), "MailServerNotFound", ErrorCategory.ObjectNotFound, name));
                continue;
            }
            if (!ShouldProcess(name, "Stop mail server")) continue;
            WriteVerbose($"Stopping '{name}': sessions in DATA get {GraceSeconds} s.");
            RunningMailServers.StopAsync(server, TimeSpan.FromSeconds(GraceSeconds)).GetAwaiter().GetResult();
            if (PassThru) WriteObject(server);
        }
    }
}
