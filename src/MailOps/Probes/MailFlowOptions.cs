using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;

namespace MailOps.Probes;

/// <summary>What a mail-flow test does: where it sends the marked message, and where and how it fetches it back.</summary>
public sealed class MailFlowOptions
{
    /// <summary>The SMTP server's host.</summary>
    public required string SmtpServer { get; init; }
    /// <summary>The SMTP port.</summary>
    public int SmtpPort { get; init; } = 25;
    /// <summary>How the SMTP session uses TLS.</summary>
    public MailTlsMode SmtpTls { get; init; } = MailTlsMode.Auto;
    /// <summary>Credentials for SMTP AUTH, or null.</summary>
    public NetworkCredential? SmtpCredential { get; init; }
    /// <summary>The sender (envelope and From:).</summary>
    public required string From { get; init; }
    /// <summary>The recipient whose mailbox is read.</summary>
    public required string To { get; init; }
    /// <summary>The IMAP or POP3 server's host.</summary>
    public required string MailboxServer { get; init; }
    /// <summary>Its port; 0 for the protocol's default.</summary>
    public int MailboxPort { get; init; }
    /// <summary>IMAP or POP3.</summary>
    public MailFetchProtocol Protocol { get; init; } = MailFetchProtocol.Imap;
    /// <summary>How the fetch uses TLS.</summary>
    public MailTlsMode MailboxTls { get; init; } = MailTlsMode.Auto;
    /// <summary>The mailbox login.</summary>
    public required NetworkCredential MailboxCredential { get; init; }
    /// <summary>How long to wait for the message to arrive.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How long to wait between looks into the mailbox.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Leave the test message in the mailbox instead of deleting it.</summary>
    public bool KeepMessage { get; init; }
    /// <summary>Go on when a certificate is not trusted or does not name its server.</summary>
    public bool SkipCertificateCheck { get; init; }
    /// <summary>Roots to trust instead of the system store, or null.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }
    /// <summary>The resolver for DKIM keys, or null not to verify signatures.</summary>
    public MailDnsResolver? Resolver { get; init; }
}
