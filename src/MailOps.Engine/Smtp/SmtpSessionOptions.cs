using System.Security.Cryptography.X509Certificates;

namespace MailOps.Engine.Smtp;

/// <summary>The settings of an SMTP session; defaults follow Postfix's smtpd defaults where one exists.</summary>
public sealed record SmtpSessionOptions
{
    /// <summary>The name the server gives in the greeting, EHLO reply and Received: header (Postfix myhostname).</summary>
    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>The largest message accepted, in octets; advertised as SIZE (Postfix message_size_limit).</summary>
    public long MaxMessageSize { get; init; } = 10_240_000;

    /// <summary>The most recipients accepted in one transaction (Postfix smtpd_recipient_limit).</summary>
    public int MaxRecipients { get; init; } = 1000;

    /// <summary>How long to wait for a command line; 421 4.4.2 after (RFC 5321 4.5.3.2.7, Postfix smtpd_timeout).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long to wait for each block of message data (RFC 5321 4.5.3.2.6); 421 4.4.2 after.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>After this many error replies the session ends with 421 4.7.0 (Postfix smtpd_hard_error_limit).</summary>
    public int MaxErrors { get; init; } = 20;

    /// <summary>Accept commands ending in a bare LF; when false they get 500 5.5.2.</summary>
    public bool AcceptBareLineFeedInCommands { get; init; }

    /// <summary>
    /// Refuse message data containing a bare LF or bare CR with 550 5.6.0 (Postfix smtpd_forbid_bare_newline): a
    /// defence against SMTP smuggling, where servers disagree about where the data ends.
    /// </summary>
    public bool RejectBareNewlineInData { get; init; } = true;

    /// <summary>Answer VRFY truthfully; when false (the default) VRFY gets 252 2.5.2 and reveals nothing.</summary>
    public bool EnableVrfy { get; init; }

    /// <summary>The certificate (with private key) for STARTTLS and implicit TLS; null disables TLS.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Allow AUTH without TLS for clients on a loopback address (for local tools and tests).</summary>
    public bool AllowPlaintextAuthOnLoopback { get; init; }

    /// <summary>Require AUTH before MAIL (a submission listener, RFC 6409 4.3).</summary>
    public bool RequireAuthentication { get; init; }

    /// <summary>
    /// The end-of-DATA authentication stage (SPF/DKIM/DMARC verdicts for received mail, DKIM signatures for sent mail);
    /// null to queue messages as received.
    /// </summary>
    public MailOps.Engine.Authentication.AuthenticationStage? Authentication { get; init; }

    /// <summary>Start TLS as soon as the connection opens, before the greeting (RFC 8314 3.3, port 465).</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>The service name in rate-limit warnings and counts, as in Postfix's master.cf: smtp, submission or submissions.</summary>
    public string ServiceName { get; init; } = "smtp";

    /// <summary>The rate limits (Postfix's anvil) shared by the server's listeners; null for none.</summary>
    public MailOps.Engine.Policy.ClientRateLimits? RateLimits { get; init; }

    /// <summary>The resolver for the client's reverse DNS name and the DNS blocklists; null skips both (the client is "unknown").</summary>
    public MailOps.Dns.MailDnsResolver? Resolver { get; init; }

    /// <summary>Look up the client's forward-confirmed reverse DNS name through <see cref="Resolver"/> (Postfix's smtpd_peername_lookup).</summary>
    public bool ClientNameLookup { get; init; } = true;

    /// <summary>
    /// DNS blocklist zones for unauthenticated clients outside mynetworks on the MTA listener: a listed client's recipients
    /// get 554 5.7.1 (Postfix's reject_rbl_client); empty for none.
    /// </summary>
    public IReadOnlyList<string> Blocklists { get; init; } = [];

    /// <summary>How long a failed AUTH waits before its 535 reply (Postfix's smtpd_error_sleep_time); other sessions go on meanwhile.</summary>
    public TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromSeconds(1);
}
