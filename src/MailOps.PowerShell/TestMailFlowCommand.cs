using System.Management.Automation;
using MailOps.Dns;
using MailOps.Probes;

namespace MailOps.PowerShell;

/// <summary>Test-MailFlow: sends a marked message through an SMTP server and fetches it back over IMAP or POP3.</summary>
[Cmdlet(VerbsDiagnostic.Test, "MailFlow")]
[OutputType(typeof(MailFlowResult))]
public sealed class TestMailFlowCommand : PSCmdlet
{
    private readonly CancellationTokenSource _cancel = new();
    private MailDnsResolver? _resolver;

    /// <summary>The SMTP server, host[:port].</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string SmtpServer { get; set; } = "";

    /// <summary>The sender.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string From { get; set; } = "";

    /// <summary>The recipient whose mailbox is read.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string To { get; set; } = "";

    /// <summary>The mailbox login.</summary>
    [Parameter(Mandatory = true)]
    [Credential]
    public PSCredential Credential { get; set; } = PSCredential.Empty;

    /// <summary>The IMAP or POP3 server, host[:port]; the SMTP server's host by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? MailboxServer { get; set; }

    /// <summary>IMAP or POP3.</summary>
    [Parameter]
    public MailFetchProtocol Protocol { get; set; } = MailFetchProtocol.Imap;

    /// <summary>Credentials for SMTP AUTH.</summary>
    [Parameter]
    [Credential]
    public PSCredential? SmtpCredential { get; set; }

    /// <summary>How the SMTP session uses TLS.</summary>
    [Parameter]
    public MailTlsMode SmtpTls { get; set; } = MailTlsMode.Auto;

    /// <summary>How the fetch uses TLS.</summary>
    [Parameter]
    public MailTlsMode MailboxTls { get; set; } = MailTlsMode.Auto;

    /// <summary>Seconds to wait for the message to arrive.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 60;

    /// <summary>Leave the test message in the mailbox.</summary>
    [Parameter]
    public SwitchParameter KeepMessage { get; set; }

    /// <summary>Go on when a certificate is not trusted or does not name its server.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Name servers for the DKIM key lookups, host[:port].</summary>
    [Parameter]
    public string[]? NameServer { get; set; }

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
        if (!MailProbeCommand.ParseServer(SmtpServer, out var smtpHost, out var smtpPort))
        {
            WriteError(MailOpsErrors.InvalidArgument($"'{SmtpServer}' is not host, host:port or [address]:port.", "InvalidServer", SmtpServer));
            return;
        }
        var mailbox = MailboxServer ?? smtpHost;
        if (!MailProbeCommand.ParseServer(mailbox, out var mailboxHost, out var mailboxPort))
        {
            WriteError(MailOpsErrors.InvalidArgument($"'{mailbox}' is not host, host:port or [address]:port.", "InvalidServer", mailbox));
            return;
        }
        var options = new MailFlowOptions
        {
            SmtpServer = smtpHost,
            SmtpPort = smtpPort != 0 ? smtpPort : SmtpTls == MailTlsMode.Implicit ? 465 : 25,
            SmtpTls = SmtpTls,
            SmtpCredential = SmtpCredential?.GetNetworkCredential(),
            From = From,
            To = To,
            MailboxServer = mailboxHost,
            MailboxPort = mailboxPort,
            Protocol = Protocol,
            MailboxTls = MailboxTls,
            MailboxCredential = Credential.GetNetworkCredential(),
            Timeout = TimeSpan.FromSeconds(Timeout),
            KeepMessage = KeepMessage,
            SkipCertificateCheck = SkipCertificateCheck,
            Resolver = _resolver,
        };
        MailFlowResult result;
        try
        {
            result = MailFlowTest.RunAsync(options, _cancel.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) { return; }
        catch (FormatException e)
        {
            WriteError(MailOpsErrors.Record(e, "InvalidAddress", ErrorCategory.InvalidArgument, From + " " + To));
            return;
        }
        foreach (var line in result.Send?.Transcript ?? []) WriteVerbose(line.ToString());
        WriteObject(result);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _cancel.Cancel();
}
