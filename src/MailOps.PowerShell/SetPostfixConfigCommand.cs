using System.Management.Automation;
using MailOps.Config;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>Set-PostfixConfig: sets one main.cf parameter on each host (postconf -e), then reloads Postfix.</summary>
[Cmdlet(VerbsCommon.Set, "PostfixConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PostfixParameter))]
public sealed class SetPostfixConfigCommand : MailHostCommand
{
    /// <summary>The parameter to set; Postfix must know it (postconf -d).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The new value, as main.cf would hold it ($references are kept, not expanded).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string Value { get; set; } = "";

    /// <summary>The Postfix configuration directory on each host (postconf -c); the host's default when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ConfigDirectory { get; set; }

    /// <summary>Only the session whose ComputerName this is (so Get-PostfixConfig output from several hosts goes back to each).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ComputerName { get; set; }

    /// <summary>Change main.cf but do not run postfix reload.</summary>
    [Parameter]
    public SwitchParameter NoReload { get; set; }

    /// <summary>Return the parameter as it is after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sessions = Targets();
        if (sessions.Count == 0) return;
        var approved = new List<MailHostSession>();
        // First read each host's current value (and refuse unknown names), then ask, then change.
        ForEachHost(sessions, (session, token) => PostfixConfiguration.GetParameterAsync(session.Connection, ConfigDirectory, Name, token),
            (session, current) =>
            {
                var target = $"{session.ComputerName}: {current.ConfigDirectory.TrimEnd('/')}/main.cf";
                if (ShouldProcess(target, $"Set {Name} from '{current.Value}' to '{Value}'{(NoReload ? "" : " and reload Postfix")}"))
                    approved.Add(session);
            });
        ForEachHost(approved, (session, token) => PostfixConfiguration.SetParameterAsync(session.Connection, ConfigDirectory, Name, Value, !NoReload, token),
            (session, changed) =>
            {
                WriteVerbose($"{session.ComputerName}: {Name} = {changed.Value}");
                if (PassThru) WriteObject(changed);
            });
    }

    // With -ComputerName from the pipeline, only the matching session; without sessions, this machine, unless the
    // object came from another host (then nothing here must change).
    private List<MailHostSession> Targets()
    {
        var sessions = CurrentSessions;
        if (ComputerName is null) return [.. sessions];
        var matching = sessions.Where(s => string.Equals(s.ComputerName, ComputerName, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matching.Count == 0)
            WriteError(MailOpsErrors.Record(new ItemNotFoundException($"No session given is to '{ComputerName}'; {Name} was not changed there."),
                "MailHostSessionNotFound", ErrorCategory.ObjectNotFound, ComputerName));
        return matching;
    }
}
