using System.Collections;
using System.Management.Automation;
using MailOps.Probes;

namespace MailOps.PowerShell;

/// <summary>Invoke-SmtpProbe: walks an SMTP server through the stages swaks does and returns what it saw as an object.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "SmtpProbe")]
[OutputType(typeof(SmtpProbeResult))]
public sealed class InvokeSmtpProbeCommand : MailProbeCommand
{
    /// <summary>The servers: host, host:port, [IPv6]:port; with -Mx, mail domains.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Host", "Domain")]
    [ValidateNotNullOrEmpty]
    public string[] Server { get; set; } = [];

    /// <summary>The name sent with EHLO.</summary>
    [Parameter]
    public string? Ehlo { get; set; }

    /// <summary>The SASL mechanism: PLAIN, LOGIN or CRAM-MD5; the best offered one by default.</summary>
    [Parameter]
    [ValidateSet("PLAIN", "LOGIN", "CRAM-MD5")]
    public string? AuthMechanism { get; set; }

    /// <summary>The envelope sender.</summary>
    [Parameter]
    public string? From { get; set; }

    /// <summary>The envelope recipients.</summary>
    [Parameter]
    public string[]? To { get; set; }

    /// <summary>Send a message after RCPT.</summary>
    [Parameter]
    public SwitchParameter Send { get; set; }

    /// <summary>The subject of the message sent.</summary>
    [Parameter]
    public string? Subject { get; set; }

    /// <summary>The text body of the message sent.</summary>
    [Parameter]
    public string? Body { get; set; }

    /// <summary>Files to attach to the message sent.</summary>
    [Parameter]
    public string[]? Attachment { get; set; }

    /// <summary>Extra header fields for the message sent (name = value).</summary>
    [Parameter]
    public Hashtable? Header { get; set; }

    /// <summary>Stop with QUIT after this stage.</summary>
    [Parameter]
    public SmtpProbeStage QuitAfter { get; set; }

    /// <summary>Try the open-relay address variants.</summary>
    [Parameter]
    public SwitchParameter TestRelay { get; set; }

    /// <summary>The outside domain the relay test tries to reach.</summary>
    [Parameter]
    public string RelayDomain { get; set; } = "example.net";

    /// <summary>Check whether plain text pipelined after STARTTLS is answered inside TLS (CVE-2011-0411).</summary>
    [Parameter]
    public SwitchParameter TestStartTlsInjection { get; set; }

    /// <summary>The servers are mail domains: probe every address of every MX host.</summary>
    [Parameter]
    public SwitchParameter Mx { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var server in Server)
        {
            if (!TryParseServer(server, out var host, out var port)) continue;
            var options = Options(host, port);
            try
            {
                var results = Mx
                    ? SmtpProbe.ProbeMxAsync(host, options, Cancellation).GetAwaiter().GetResult()
                    : [SmtpProbe.ProbeAsync(options, Cancellation).GetAwaiter().GetResult()];
                foreach (var result in results) WriteResult(result, result.Transcript);
            }
            catch (OperationCanceledException) { return; }
            catch (IOException e) { WriteError(MailOpsErrors.Record(e, "SmtpProbeFailed", ErrorCategory.ReadError, server)); }
        }
    }

    private SmtpProbeOptions Options(string host, int port) => new()
    {
        Host = host,
        Port = port != 0 ? port : Port != 0 ? Port : Tls == MailTlsMode.Implicit ? 465 : 25,
        Tls = Tls,
        EhloName = Ehlo ?? Environment.MachineName.ToLowerInvariant(),
        Credential = Credential?.GetNetworkCredential(),
        AuthMechanism = AuthMechanism,
        From = From,
        To = To ?? [],
        Send = Send,
        Subject = Subject,
        Body = Body,
        Attachments = (Attachment ?? []).Select(GetUnresolvedProviderPathFromPSPath).ToArray(),
        Headers = Header is null ? [] : Header.Keys.Cast<object>().Select(k => new KeyValuePair<string, string>(k.ToString()!, Header[k]?.ToString() ?? "")).ToArray(),
        QuitAfter = MyInvocation.BoundParameters.ContainsKey(nameof(QuitAfter)) ? QuitAfter : null,
        TestRelay = TestRelay,
        RelayDomain = RelayDomain,
        TestStartTlsInjection = TestStartTlsInjection,
        Timeout = TimeSpan.FromSeconds(Timeout),
        SkipCertificateCheck = SkipCertificateCheck,
        Resolver = Resolver,
        Domain = Mx ? host : null,
    };

    /// <inheritdoc />
    private protected override bool SystemResolver => true;
}
