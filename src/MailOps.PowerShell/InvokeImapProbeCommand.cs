using System.Management.Automation;
using MailOps.Probes;

namespace MailOps.PowerShell;

/// <summary>Invoke-ImapProbe: an IMAP server's greeting, capabilities before and after TLS, TLS details, a login test and the mailboxes with counts.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "ImapProbe")]
[OutputType(typeof(ImapProbeResult))]
public sealed class InvokeImapProbeCommand : MailAccessProbeCommand
{
    private protected override async Task<MailAccessProbeResult> ProbeAsync(MailAccessProbeOptions options, CancellationToken cancellationToken) =>
        await ImapProbe.ProbeAsync(options, cancellationToken).ConfigureAwait(false);
}
