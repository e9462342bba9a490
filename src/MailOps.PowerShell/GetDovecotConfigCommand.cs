using System.Management.Automation;
using MailOps.Config;

namespace MailOps.PowerShell;

/// <summary>Get-DovecotConfig: Dovecot's settings (doveconf -n, or every one with -All) from each host, sections flattened into names.</summary>
[Cmdlet(VerbsCommon.Get, "DovecotConfig")]
[OutputType(typeof(DovecotSetting))]
public sealed class GetDovecotConfigCommand : MailHostCommand
{
    /// <summary>Setting names to return, e.g. <c>protocols</c> or <c>service imap-login/*</c>; wildcards allowed. With -Name, defaults that match are returned too.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Every setting, defaults included (doveconf -a).</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>The dovecot.conf to read on each host (doveconf -c); the host's default when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => CollectSessions();

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var patterns = (Name ?? []).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        var includeDefaults = All || Name is not null;
        ForEachHost(Sessions, (session, token) => DovecotConfiguration.GetSettingsAsync(session.Connection, ConfigPath, includeDefaults, token),
            (session, settings) =>
            {
                var found = settings.Where(s => patterns.Length == 0 || patterns.Any(p => p.IsMatch(s.Name))).ToArray();
                WriteObject(found, true);
                foreach (var wanted in Name ?? [])
                {
                    if (WildcardPattern.ContainsWildcardCharacters(wanted) || found.Any(s => string.Equals(s.Name, wanted, StringComparison.OrdinalIgnoreCase))) continue;
                    WriteError(MailOpsErrors.Record(new ItemNotFoundException($"{session.ComputerName}: Dovecot has no setting '{wanted}'."),
                        "DovecotSettingNotFound", ErrorCategory.ObjectNotFound, session));
                }
            });
    }
}
