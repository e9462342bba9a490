using System.Management.Automation;
using System.Net;
using MailOps.Dns;
using MailOps.Probes;

namespace MailOps.PowerShell;

/// <summary>
/// What the probe cmdlets (Invoke-SmtpProbe, Invoke-ImapProbe, Invoke-Pop3Probe) share: the connection parameters, the
/// resolver -NameServer makes, host[:port] parsing and cancellation.
/// </summary>
public abstract class MailProbeCommand : PSCmdlet
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>The port when the server does not name one; the protocol's default by -Tls.</summary>
    [Parameter(Position = 1)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>How TLS is used: Auto, None, StartTls or Implicit.</summary>
    [Parameter]
    public MailTlsMode Tls { get; set; } = MailTlsMode.Auto;

    /// <summary>Credentials for AUTH or the login test.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Name servers for the address, MX, TLSA and MTA-STS lookups, host[:port].</summary>
    [Parameter]
    public string[]? NameServer { get; set; }

    /// <summary>Seconds to wait for the connection and each reply.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 30;

    /// <summary>Go on when the certificate is not trusted or does not name the server.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>The resolver -NameServer names, the system resolver when <see cref="SystemResolver"/>, or null.</summary>
    private protected MailDnsResolver? Resolver { get; private set; }

    /// <summary>True when a probe without -NameServer still asks the system resolver (for MX, TLSA and MTA-STS).</summary>
    private protected virtual bool SystemResolver => false;

    /// <summary>Stops the probes on Ctrl-C.</summary>
    private protected CancellationToken Cancellation => _cancel.Token;

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        if (NameServer is not { Length: > 0 } && !SystemResolver) return;
        try
        {
            Resolver = new MailDnsResolver(NameServer);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(MailOpsErrors.Record(e, "InvalidNameServer", ErrorCategory.InvalidArgument, NameServer));
        }
    }

    /// <summary>Splits host[:port] and [v6]:port; false (with an InvalidServer error written) when the text is neither.</summary>
    private protected bool TryParseServer(string text, out string host, out int port)
    {
        if (ParseServer(text, out host, out port)) return true;
        WriteError(MailOpsErrors.InvalidArgument($"'{text}' is not host, host:port or [address]:port.", "InvalidServer", text));
        return false;
    }

    /// <summary>Splits host[:port] and [v6]:port; a bare IPv6 address has no port.</summary>
    internal static bool ParseServer(string text, out string host, out int port)
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

    /// <summary>Writes a result's transcript as verbose lines, then the result.</summary>
    private protected void WriteResult(object result, IEnumerable<ProbeTranscriptLine> transcript)
    {
        foreach (var line in transcript) WriteVerbose(line.ToString());
        WriteObject(result);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _cancel.Cancel();
}
