using System.Collections;
using System.Management.Automation;
using System.Net;
using MailOps.Dns;
using MailOps.Probes;

namespace MailOps.PowerShell;

/// <summary>Invoke-SmtpProbe: walks an SMTP server through the stages swaks does and returns what it saw as an object.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "SmtpProbe")]
[OutputType(typeof(SmtpProbeResult))]
public sealed class InvokeSmtpProbeCommand : PSCmdlet
{
    private readonly CancellationTokenSource _cancel = new();
    private MailDnsResolver? _resolver;

    /// <summary>The servers: host, host:port, [IPv6]:port; with -Mx, mail domains.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Host", "Domain")]
    [ValidateNotNullOrEmpty]
    public string[] Server { get; set; } = [];

    /// <summary>The port when the server does not name one: 25, or 465 with -Tls Implicit.</summary>
    [Parameter(Position = 1)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>How TLS is used: Auto (STARTTLS when offered), None, StartTls (required) or Implicit.</summary>
    [Parameter]
    public MailTlsMode Tls { get; set; } = MailTlsMode.Auto;

    /// <summary>The name sent with EHLO.</summary>
    [Parameter]
    public string? Ehlo { get; set; }

    /// <summary>Credentials for AUTH.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

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

    /// <summary>Name servers for MX, TLSA and MTA-STS lookups, host[:port].</summary>
    [Parameter]
    public string[]? NameServer { get; set; }

    /// <summary>Seconds to wait for the connection and each reply.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 30;

    /// <summary>Go on when the certificate is not trusted or does not name the server.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        try
        {
            _resolver = new MailDnsResolver(NameServer);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(MailOpsErrors.Record(e, "InvalidNameServer", ErrorCategory.InvalidArgument, NameServer));
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var server in Server)
        {
            if (!TryParseServer(server, out var host, out var port))
            {
                WriteError(MailOpsErrors.InvalidArgument($"'{server}' is not host, host:port or [address]:port.", "InvalidServer", server));
                continue;
            }
            var options = Options(host, port);
            try
            {
                var results = Mx
                    ? SmtpProbe.ProbeMxAsync(host, options, _cancel.Token).GetAwaiter().GetResult()
                    : [SmtpProbe.ProbeAsync(options, _cancel.Token).GetAwaiter().GetResult()];
                foreach (var result in results)
                {
                    foreach (var line in result.Transcript) WriteVerbose(line.ToString());
                    WriteObject(result);
                }
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
        Resolver = _resolver,
        Domain = Mx ? host : null,
    };

    /// <summary>Splits host[:port] and [v6]:port; a bare IPv6 address has no port.</summary>
    internal static bool TryParseServer(string text, out string host, out int port)
    {
        host = text.Trim();
        port = 0;
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            if (close < 0) return false;
            var rest = host[(close + 1)..];
            host = host[1..close];
            if (rest.Length == 0) return IPAddress.TryParse(host, out _);
            return rest[0] == ':' && int.TryParse(rest[1..], out port) && port is > 0 and < 65536 && IPAddress.TryParse(host, out _);
        }
        var colon = host.IndexOf(':');
        if (colon >= 0 && colon == host.LastIndexOf(':'))
        {
            if (!int.TryParse(host[(colon + 1)..], out port) || port is < 1 or > 65535) return false;
            host = host[..colon];
        }
        return host.Length > 0 && !host.Any(char.IsWhiteSpace);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _cancel.Cancel();
}
