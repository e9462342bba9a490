using System.Management.Automation;
using MailOps.Probes;

namespace MailOps.PowerShell;

/// <summary>Invoke-Pop3Probe: a POP3 server's greeting, CAPA before and after STLS, TLS details, a login test and the maildrop size.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Pop3Probe")]
[OutputType(typeof(Pop3ProbeResult))]
public sealed class InvokePop3ProbeCommand : MailAccessProbeCommand
{
    private protected override async Task<MailAccessProbeResult> ProbeAsync(MailAccessProbeOptions options, CancellationToken cancellationToken) =>
        await Pop3Probe.ProbeAsync(options, cancellationToken).ConfigureAwait(false);
}
