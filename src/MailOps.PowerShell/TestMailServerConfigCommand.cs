using System.Management.Automation;
using MailOps.Engine.Configuration;

namespace MailOps.PowerShell;

/// <summary>Test-MailServerConfig: checks a server configuration file the way Start-MailServer will, and lists every mistake.</summary>
[Cmdlet(VerbsDiagnostic.Test, "MailServerConfig")]
[OutputType(typeof(MailServerConfigError))]
public sealed class TestMailServerConfigCommand : PSCmdlet
{
    /// <summary>The configuration files to check.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "ConfigPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Returns true or false instead of the list of errors.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var given in Path)
        {
            var path = GetUnresolvedProviderPathFromPSPath(given);
            if (!File.Exists(path))
            {
                WriteError(MailOpsErrors.Record(new FileNotFoundException($"'{path}' does not exist.", path), "MailServerConfigNotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }
            IReadOnlyList<MailServerConfigError> errors = [];
            try
            {
                MailServerConfigFile.Load(path);
            }
            catch (MailServerConfigException e)
            {
                errors = e.Errors;
            }
            WriteVerbose($"{path}: {errors.Count} error(s).");
            if (Quiet) WriteObject(errors.Count == 0);
            else WriteObject(errors, true);
        }
    }
}
