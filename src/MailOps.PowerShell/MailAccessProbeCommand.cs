using System.Management.Automation;
using MailOps.Probes;

namespace MailOps.PowerShell;

/// <summary>What Invoke-ImapProbe and Invoke-Pop3Probe share: their parameters and the loop over servers.</summary>
public abstract class MailAccessProbeCommand : MailProbeCommand
{
    /// <summary>The servers: host, host:port, [IPv6]:port.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Host")]
    [ValidateNotNullOrEmpty]
    public string[] Server { get; set; } = [];

    /// <summary>Runs the protocol's probe.</summary>
    private protected abstract Task<MailAccessProbeResult> ProbeAsync(MailAccessProbeOptions options, CancellationToken cancellationToken);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var server in Server)
        {
            if (!TryParseServer(server, out var host, out var port)) continue;
            var options = new MailAccessProbeOptions
            {
                Host = host,
                Port = port != 0 ? port : Port,
                Tls = Tls,
                Credential = Credential?.GetNetworkCredential(),
                Timeout = TimeSpan.FromSeconds(Timeout),
                SkipCertificateCheck = SkipCertificateCheck,
                Resolver = Resolver,
            };
            try
            {
                var result = ProbeAsync(options, Cancellation).GetAwaiter().GetResult();
                WriteResult(result, result.Transcript);
            }
            catch (OperationCanceledException) { return; }
        }
    }
}
