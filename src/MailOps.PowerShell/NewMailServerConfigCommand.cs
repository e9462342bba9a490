using System.Management.Automation;
using MailOps.Engine.Configuration;

namespace MailOps.PowerShell;

/// <summary>New-MailServerConfig: writes a commented starting configuration for Start-MailServer -ConfigPath.</summary>
[Cmdlet(VerbsCommon.New, "MailServerConfig", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewMailServerConfigCommand : PSCmdlet
{
    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The server's host name (myhostname); the machine's name by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Hostname { get; set; }

    /// <summary>Where the server keeps its queue, mail and logs; the XDG data directory by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DataPath { get; set; }

    /// <summary>Replace an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var dataPath = DataPath is null ? MailServerConfig.DefaultDataPath() : GetUnresolvedProviderPathFromPSPath(DataPath);
        var hostname = Hostname ?? MailServerConfig.DefaultHostname();
        if (File.Exists(path) && !Force)
        {
            WriteError(MailOpsErrors.Record(new IOException($"'{path}' exists; use -Force to replace it."), "MailServerConfigExists", ErrorCategory.ResourceExists, path));
            return;
        }
        if (!ShouldProcess(path, "Write a MailOps server configuration")) return;
        try
        {
            if (File.Exists(path)) File.Delete(path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            MailServerConfigFile.WriteTemplate(path, hostname, dataPath);
            // Through the provider, so the FileInfo carries PSPath and pipes into Get-Content like Get-Item's output.
            WriteObject(InvokeProvider.Item.Get(WildcardPattern.Escape(path)), true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(MailOpsErrors.Record(e, "MailServerConfigWriteFailed", ErrorCategory.WriteError, path));
        }
    }
}
