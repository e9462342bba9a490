using System.Management.Automation;
using MailOps.Config;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>Get-PostfixConfig: Postfix's main.cf parameters (postconf -n, or every one with -All) or master.cf services (-Master), from each host.</summary>
[Cmdlet(VerbsCommon.Get, "PostfixConfig", DefaultParameterSetName = ParameterSet)]
[OutputType(typeof(PostfixParameter), ParameterSetName = [ParameterSet])]
[OutputType(typeof(PostfixService), ParameterSetName = [MasterSet])]
public sealed class GetPostfixConfigCommand : MailHostCommand
{
    private const string ParameterSet = "Parameter";
    private const string MasterSet = "Master";

    /// <summary>Parameter (or, with -Master, service) names to return; wildcards allowed. With -Name, defaults that match are returned too.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Every parameter, defaults included, each with its default and whether main.cf sets it.</summary>
    [Parameter(ParameterSetName = ParameterSet)]
    public SwitchParameter All { get; set; }

    /// <summary>The master.cf services (postconf -M) instead of main.cf parameters.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MasterSet)]
    public SwitchParameter Master { get; set; }

    /// <summary>The Postfix configuration directory on each host (postconf -c); the host's default when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigDirectory { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => CollectSessions();

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var patterns = (Name ?? []).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        bool Wanted(string name) => patterns.Length == 0 || patterns.Any(p => p.IsMatch(name));
        if (Master)
        {
            ForEachHost(Sessions, (session, token) => PostfixConfiguration.GetServicesAsync(session.Connection, ConfigDirectory, token),
                (session, services) => WriteMatches(session, services.Where(s => Wanted(s.Service)).ToArray(), s => s.Service));
            return;
        }
        // A named parameter is answered even when main.cf leaves it at its default.
        var includeDefaults = All || Name is not null;
        ForEachHost(Sessions, (session, token) => PostfixConfiguration.GetParametersAsync(session.Connection, ConfigDirectory, includeDefaults, token),
            (session, parameters) => WriteMatches(session, parameters.Where(p => Wanted(p.Name)).ToArray(), p => p.Name));
    }

    private void WriteMatches<T>(MailHostSession session, IReadOnlyList<T> found, Func<T, string> name)
    {
        WriteObject(found, true);
        foreach (var wanted in Name ?? [])
        {
            if (WildcardPattern.ContainsWildcardCharacters(wanted) || found.Any(f => string.Equals(name(f), wanted, StringComparison.OrdinalIgnoreCase))) continue;
            WriteError(MailOpsErrors.Record(
                new ItemNotFoundException($"{session.ComputerName}: Postfix has no {(Master ? "master.cf service" : "parameter")} '{wanted}'."),
                "PostfixConfigNotFound", ErrorCategory.ObjectNotFound, session));
        }
    }
}
