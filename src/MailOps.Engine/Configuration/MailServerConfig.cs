using System.Net;

namespace MailOps.Engine.Configuration;

/// <summary>
/// The bundled server's configuration, in Postfix's terms where Postfix has one (myhostname, mydestination as
/// <see cref="Domains"/>, mynetworks, the smtpd limits). Read one with <see cref="MailServerConfigFile.Load"/>,
/// or take <see cref="EmbeddedDefault"/> when no file is given.
/// </summary>
public sealed class MailServerConfig
{
    /// <summary>The localhost networks Postfix's mynetworks_style=host would give on a loopback-only server.</summary>
    public static readonly IReadOnlyList<IPNetwork> DefaultMyNetworks = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary>
    /// The local domain of the embedded default: <c>localhost.localdomain</c>. Not the host's own name, because that name
    /// may be a real domain whose mail is handled elsewhere (accepting it here would swallow mail meant for its MX),
    /// and container host names are often one label, which is no mail domain. It is what Debian and Red Hat put beside
    /// 127.0.0.1 in /etc/hosts, never resolves on the Internet, and passes RFC 1035 syntax checks.
    /// </summary>
    public const string DefaultDomain = "localhost.localdomain";

    /// <summary>The name in the greeting and EHLO reply, and in Received: headers (Postfix's myhostname).</summary>
    public required string Hostname { get; init; }

    /// <summary>Domains delivered here (Postfix's mydestination / virtual_mailbox_domains); the first is the primary.</summary>
    public required IReadOnlyList<string> Domains { get; init; }

    /// <summary>The primary local domain: the first of <see cref="Domains"/>.</summary>
    public string PrimaryDomain => Domains[0];

    /// <summary>The sockets to listen on.</summary>
    public required IReadOnlyList<MailListenerConfig> Listeners { get; init; }

    /// <summary>The certificate and key for STARTTLS and implicit TLS.</summary>
    public required MailTlsConfig Tls { get; init; }

    /// <summary>Clients trusted to relay without AUTH (Postfix's mynetworks).</summary>
    public IReadOnlyList<IPNetwork> MyNetworks { get; init; } = DefaultMyNetworks;

    /// <summary>
    /// Clients exempt from the rate limits in <see cref="Limits"/> (Postfix's smtpd_client_event_limit_exceptions); null
    /// means <see cref="MyNetworks"/>, Postfix's default.
    /// </summary>
    public IReadOnlyList<IPNetwork>? ClientEventLimitExceptions { get; init; }

    /// <summary>Resource limits.</summary>
    public MailLimitsConfig Limits { get; init; } = new();

    /// <summary>
    /// Allow SMTP AUTH and POP3 USER/PASS/AUTH without TLS from a loopback client (for local scripts); false, like Postfix's
    /// smtpd_tls_auth_only=yes and Dovecot's disable_plaintext_auth=yes.
    /// </summary>
    public bool AllowPlaintextAuthOnLoopback { get; init; }

    /// <summary>Answer VRFY (RFC 5321 3.5.3); false, like Postfix's disable_vrfy_command=yes, so addresses cannot be harvested.</summary>
    public bool Vrfy { get; init; }

    /// <summary>The users, a Dovecot passwd-file (user:{SCHEME}hash:uid:gid:gecos:home:shell:extra).</summary>
    public required string UsersFile { get; init; }

    /// <summary>The aliases, a Postfix virtual(5) table (address, then one or more targets).</summary>
    public required string AliasesFile { get; init; }

    /// <summary>The mailbox that gets mail for unknown recipients in local domains, or null to reject them with 550 5.1.1.</summary>
    public string? CatchAll { get; init; }

    /// <summary>The account that owns the users' Maildirs; null keeps the server's own account (see <see cref="MailOwner"/>).</summary>
    public MailOwner? MailOwner { get; init; }

    /// <summary>How DNS is asked; the system resolver by default.</summary>
    public MailDnsConfig Dns { get; init; } = MailDnsConfig.System;

    /// <summary>DKIM signing keys for mail from authenticated clients and mynetworks; none by default.</summary>
    public IReadOnlyList<MailDkimKeyConfig> Dkim { get; init; } = [];

    /// <summary>What to do with received mail that fails DMARC under p=reject: refuse it (the default) or hold it.</summary>
    public DmarcRejectAction DmarcRejectAction { get; init; } = DmarcRejectAction.Reject;

    /// <summary>The smarthost for all remote mail (Postfix's relayhost); null delivers to each domain's MX hosts.</summary>
    public MailRelayHost? RelayHost { get; init; }

    /// <summary>The login for AUTH at <see cref="RelayHost"/> (Postfix's smtp_sasl_password_maps); null for none.</summary>
    public NetworkCredential? RelayHostCredentials { get; init; }

    /// <summary>
    /// TLS towards remote destinations (Postfix's smtp_tls_security_level and smtp_tls_policy_maps): the key is a
    /// recipient domain (or the relay host), "*" sets the default; anything not listed is <see cref="MailTlsPolicy.May"/>.
    /// </summary>
    public IReadOnlyDictionary<string, MailTlsPolicy> TlsPolicies { get; init; } = new Dictionary<string, MailTlsPolicy>();

    /// <summary>
    /// The port remote delivery connects to at MX hosts; 25. Only for tests and labs, where the receiving servers
    /// listen elsewhere (Postfix's <c>smtp_tcp_port</c>).
    /// </summary>
    public int RemoteSmtpPort { get; init; } = 25;

    /// <summary>Retry and lifetime of deferred messages.</summary>
    public MailQueueConfig Queue { get; init; } = new();

    /// <summary>Where the queue, the mailboxes and the logs live.</summary>
    public required string DataPath { get; init; }

    /// <summary>The mail log file (Postfix format).</summary>
    public required string LogPath { get; init; }

    /// <summary>The queue directory (incoming, active, deferred, hold, corrupt).</summary>
    public string QueuePath => Path.Combine(DataPath, "queue");

    /// <summary>The Maildir root: one Maildir per user beneath it.</summary>
    public string MailPath => Path.Combine(DataPath, "mail");

    /// <summary>
    /// The configuration used when none is given: listeners on 127.0.0.1 ports 2525 (MTA), 2587 (submission),
    /// 2465 (submission over TLS), 2110 (POP3), 2995 (POP3S), 2143 (IMAP) and 2993 (IMAPS), so no root is needed and nothing outside the machine can reach it; one local domain
    /// (<see cref="DefaultDomain"/>); a self-signed certificate under <paramref name="dataPath"/>/tls, made on first
    /// run by <see cref="MailServerCertificate.EnsureSelfSigned"/>. Nothing is written to disk here.
    /// </summary>
    /// <param name="dataPath">Where data lives; usually <see cref="DefaultDataPath"/>.</param>
    /// <param name="hostname">The greeting name; usually the machine's name.</param>
    public static MailServerConfig EmbeddedDefault(string dataPath, string hostname)
    {
        dataPath = Path.GetFullPath(dataPath);
        return new MailServerConfig
        {
            Hostname = hostname,
            Domains = [DefaultDomain],
            Listeners =
            [
                new(MailListenerKind.Mta, new IPEndPoint(IPAddress.Loopback, 2525)),
                new(MailListenerKind.Submission, new IPEndPoint(IPAddress.Loopback, 2587)),
                new(MailListenerKind.SubmissionTls, new IPEndPoint(IPAddress.Loopback, 2465)),
                new(MailListenerKind.Pop3, new IPEndPoint(IPAddress.Loopback, 2110)),
                new(MailListenerKind.Pop3Tls, new IPEndPoint(IPAddress.Loopback, 2995)),
                new(MailListenerKind.Imap, new IPEndPoint(IPAddress.Loopback, 2143)),
                new(MailListenerKind.ImapTls, new IPEndPoint(IPAddress.Loopback, 2993)),
            ],
            Tls = DefaultTls(dataPath),
            DataPath = dataPath,
            UsersFile = Path.Combine(dataPath, "users.passwd"),
            AliasesFile = Path.Combine(dataPath, "virtual"),
            LogPath = Path.Combine(dataPath, "logs", "mail.log"),
        };
    }

    /// <summary>The self-signed pair's place under <paramref name="dataPath"/>: tls/cert.pem and tls/key.pem.</summary>
    public static MailTlsConfig DefaultTls(string dataPath) =>
        new(Path.Combine(dataPath, "tls", "cert.pem"), Path.Combine(dataPath, "tls", "key.pem"), SelfSigned: true);

    /// <summary>
    /// The default data directory, per the XDG Base Directory spec: <c>$XDG_DATA_HOME/mailops</c>, or
    /// <c>~/.local/share/mailops</c> when XDG_DATA_HOME is unset or not absolute (the spec says to ignore relative values).
    /// </summary>
    public static string DefaultDataPath()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(root, "mailops");
    }

    /// <summary>
    /// A hostname for the greeting when none is configured: the machine's DNS name if it has a dot, else
    /// <see cref="DefaultDomain"/> (a one-label name is not a valid EHLO domain under RFC 5321 4.1.1.1).
    /// </summary>
    public static string DefaultHostname()
    {
        string name;
        try { name = System.Net.Dns.GetHostEntry(System.Net.Dns.GetHostName()).HostName; }
        catch (System.Net.Sockets.SocketException) { name = System.Net.Dns.GetHostName(); }
        return MailOps.Dns.MailDomainName.TryNormalize(name, out var normal, out _) ? normal : DefaultDomain;
    }
}
