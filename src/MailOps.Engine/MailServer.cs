using System.Security.Cryptography.X509Certificates;
using MailOps.Engine.Auth;
using MailOps.Engine.Authentication;
using MailOps.Engine.Configuration;
using MailOps.Engine.Delivery;
using MailOps.Engine.Listeners;
using MailOps.Engine.Logging;
using MailOps.Engine.Platform;
using MailOps.Engine.Policy;
using MailOps.Engine.Imap;
using MailOps.Engine.Pop3;
using MailOps.Engine.Queue;
using MailOps.Engine.Smtp;
using MailOps.Engine.Store;

namespace MailOps.Engine;

/// <summary>
/// A running bundled mail server: the stages of the engine put together from one configuration, in the order a
/// message takes them (listeners, SMTP sessions, policy, queue, local delivery and the Maildir store or remote delivery
/// over SMTP, non-delivery notices), plus its log.
/// </summary>
public sealed class MailServer : IAsyncDisposable, ISmtpSessionObserver
{
    private readonly List<SmtpListener> _listeners = [];
    private readonly List<MailListener> _mailboxListeners = []; // POP3 and IMAP: where users read their mail
    private readonly MailLog _log;
    private readonly SmtpSessionLog _sessionLog;
    private readonly LocalDeliveryAgent _delivery;
    private readonly RemoteDeliveryAgent _remote;
    private readonly X509Certificate2 _certificate;
    private readonly QueueLock _queueLock;
    private QueueControlSocket? _controlSocket;
    private long _connections;
    private long _queued;
    private long _rejected;
    private int _stopped;

    private MailServer(string name, MailServerConfig config, MailLog log, LocalDeliveryAgent delivery, RemoteDeliveryAgent remote, X509Certificate2 certificate, MailQueue queue, QueueLock queueLock)
    {
        _queueLock = queueLock;
        Name = name;
        Config = config;
        _log = log;
        _sessionLog = new SmtpSessionLog(log);
        _delivery = delivery;
        _remote = remote;
        _certificate = certificate;
        Queue = queue;
        StartTime = DateTimeOffset.Now;
    }

    /// <summary>The server's name in this process (Get-MailServer, Stop-MailServer).</summary>
    public string Name { get; }
    /// <summary>The configuration it runs with.</summary>
    public MailServerConfig Config { get; }
    /// <summary>Its queue.</summary>
    public MailQueue Queue { get; }
    /// <summary>The administrator's commands for its queue (list, hold, release, delete, flush), carried out by its queue manager.</summary>
    public IQueueControl QueueControl => _delivery;
    /// <summary>When it started.</summary>
    public DateTimeOffset StartTime { get; }
    /// <summary>How long it has been running.</summary>
    public TimeSpan Uptime => DateTimeOffset.Now - StartTime;
    /// <summary>The sockets it listens on.</summary>
    public IReadOnlyList<MailServerEndpoint> Endpoints { get; private set; } = [];
    /// <summary>True until it is stopped.</summary>
    public bool IsRunning => Volatile.Read(ref _stopped) == 0;
    /// <summary>SMTP connections accepted so far (POP3 sessions are not counted here).</summary>
    public long Connections => Interlocked.Read(ref _connections);
    /// <summary>Messages accepted into the queue (a 250 after DATA/BDAT).</summary>
    public long MessagesQueued => Interlocked.Read(ref _queued);
    /// <summary>Commands refused with a 4xx or 5xx reply.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);
    /// <summary>Copies delivered to local mailboxes.</summary>
    public long Delivered => _delivery.Delivered;
    /// <summary>Recipients accepted by remote servers (or the relay host).</summary>
    public long Relayed => _remote.Sent;
    /// <summary>The Maildir root of the users' mail.</summary>
    public string MailPath => Config.MailPath;
    /// <summary>The log file.</summary>
    public string LogPath => Config.LogPath;

    /// <summary>
    /// Starts a server from <paramref name="config"/>: makes the self-signed certificate on first run when none is
    /// configured, opens the queue (finishing what a previous run left), starts delivery and then the listeners.
    /// Nothing is left running when a step fails.
    /// </summary>
    public static async Task<MailServer> StartAsync(MailServerConfig config, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        CreatePrivateDirectory(config.DataPath);
        if (config.Tls.SelfSigned) MailServerCertificate.EnsureSelfSigned(config.Tls, config.Hostname);
        var certificate = X509Certificate2.CreateFromPemFile(config.Tls.CertificatePath, config.Tls.KeyPath);
        var queue = new MailQueue(config.QueuePath);
        // Held while the server runs: no second server on this queue, and queue commands from other processes go to our socket.
        var queueLock = await QueueLock.AcquireAsync(queue.Root, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        try
        {
            queue.RemoveLeftovers();
            CreatePrivateDirectory(config.MailPath);
            MaildirOwner? owner = config.MailOwner is { } o ? new MaildirOwner(o.Uid, o.Gid) : null;
            // The mail root stays 0700 but belongs to the mail owner, so that Dovecot (running as that account) can reach the Maildirs.
            if (owner is { } mailOwner) Posix.Chown(config.MailPath, mailOwner.Uid, mailOwner.Gid);
            var recipients = new ReloadingLocalRecipients(config.Domains, config.UsersFile, config.AliasesFile, config.CatchAll);
            // Each user's quota comes from the same passwd-file, read again when it changes.
            var store = new MaildirStore(Path.Combine(config.MailPath, "%d", "%n", "Maildir"), new MaildirOptions { HostName = config.Hostname, Owner = owner })
            {
                QuotaLimits = recipients,
            };
            var log = new MailLog(config.LogPath, config.Hostname);
            // One resolver for MX lookups and the inbound checks, asking what dns.nameServers names (the system resolver by default).
            var resolver = new MailOps.Dns.MailDnsResolver(config.Dns.NameServers.Count > 0 ? config.Dns.NameServers : null);
            var remote = new RemoteDeliveryAgent(new RemoteDeliveryOptions
            {
                HostName = config.Hostname,
                RelayHost = config.RelayHost,
                RelayHostCredentials = config.RelayHostCredentials,
                TlsPolicies = config.TlsPolicies,
                Port = config.RemoteSmtpPort,
                DestinationConcurrency = config.Limits.DestinationConcurrency,
            }, resolver, log);
            var delivery = new LocalDeliveryAgent(queue, recipients, store, log)
            {
                Concurrency = config.Limits.DeliveryConcurrency,
                Remote = remote,
                Notifier = new NonDeliveryNotifier(queue, config.Hostname, log),
                Retry = config.Queue,
            };
            var server = new MailServer(name, config, log, delivery, remote, certificate, queue, queueLock);
            try
            {
                delivery.Start();
                server.StartControlSocket();
                server.StartListeners(recipients, resolver, store);
            }
            catch
            {
                await server.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
                throw;
            }
            return server;
        }
        catch
        {
            // Stopping the server lets go of it too; a failure before the server existed must not keep the queue locked.
            queueLock.Dispose();
            throw;
        }
    }

    private void StartControlSocket()
    {
        try
        {
            _controlSocket = QueueControlSocket.Start(Queue.Root, _delivery, _log);
        }
        catch (ArgumentOutOfRangeException)
        {
            // A Unix socket address holds 107 bytes: a deeper data path leaves queue commands to this process alone.
            _log.Warning("master", $"queue control socket not available: {QueueControlSocket.PathOf(Queue.Root)} is too long for a socket address");
        }
    }

    private void StartListeners(ILocalRecipients recipients, MailOps.Dns.MailDnsResolver resolver, IMailStore store)
    {
        // Each connection is a descriptor: thousands of IDLE sessions need more than a shell's usual soft limit of 1024.
        var (before, after) = Posix.RaiseOpenFileLimit();
        if (after != before) _log.Write("master", $"open files limit raised from {before} to {after} (the hard limit)");
        var policy = new RelayPolicy(recipients, Config.MyNetworks) { Mailboxes = store };
        var authenticator = new PasswdFileAuthenticator(Config.UsersFile);
        var endpoints = new List<MailServerEndpoint>();
        var authentication = new AuthenticationStage(Config.Hostname, resolver, Config.Dkim, Config.DmarcRejectAction);
        // One anvil for all listeners: it counts per service and client, like Postfix's.
        var rateLimits = new ClientRateLimits(Config.Limits, Config.ClientEventLimitExceptions ?? Config.MyNetworks);
        // One count of failed logins per address for every login service of this server.
        var failures = new LoginFailures(Config.Limits.MaxLoginFailures, TimeSpan.FromMinutes(15), Config.Limits.AuthFailureDelay);
        var pop3Log = new Pop3SessionLog(_log);
        var imapLog = new ImapSessionLog(_log);
        // Dovecot's anvil counts per protocol: IMAP and IMAPS listeners share one count, POP3 and POP3S another.
        var imapUsers = new UserConnectionCounts(Config.Limits.MaxUserIpConnections);
        var pop3Users = new UserConnectionCounts(Config.Limits.MaxUserIpConnections);
        foreach (var listener in Config.Listeners)
        {
            if (listener.Kind is MailListenerKind.Imap or MailListenerKind.ImapTls)
            {
                var imap = new ImapListener(new ImapListenerOptions
                {
                    EndPoint = listener.EndPoint,
                    ImplicitTls = listener.Kind == MailListenerKind.ImapTls,
                    MaxConnections = Config.Limits.MaxConnections,
                    MaxConnectionsPerClient = Config.Limits.MaxConnectionsPerClient,
                    Session = new ImapSessionOptions
                    {
                        Certificate = _certificate,
                        AllowPlaintextAuthOnLoopback = Config.AllowPlaintextAuthOnLoopback,
                        LoginTimeout = Config.Limits.LoginTimeout,
                        IdleTimeout = Config.Limits.ImapIdleTimeout,
                        MaxBadCommands = Config.Limits.ErrorLimit,
                        MaxLiteralSize = Config.Limits.MessageSizeLimit + 64 * 1024, // APPEND of a message as large as SMTP takes
                    },
                }, store, authenticator, failures, imapLog, imapUsers);
                imap.Start();
                _mailboxListeners.Add(imap);
                endpoints.Add(new MailServerEndpoint(listener.Kind == MailListenerKind.Imap ? "IMAP" : "IMAPS", imap.LocalEndPoint));
                continue;
            }
            if (listener.Kind is MailListenerKind.Pop3 or MailListenerKind.Pop3Tls)
            {
                var pop3 = new Pop3Listener(new Pop3ListenerOptions
                {
                    EndPoint = listener.EndPoint,
                    ImplicitTls = listener.Kind == MailListenerKind.Pop3Tls,
                    MaxConnections = Config.Limits.MaxConnections,
                    MaxConnectionsPerClient = Config.Limits.MaxConnectionsPerClient,
                    Session = new Pop3SessionOptions
                    {
                        Certificate = _certificate,
                        AllowPlaintextAuthOnLoopback = Config.AllowPlaintextAuthOnLoopback,
                        LoginTimeout = Config.Limits.LoginTimeout,
                        IdleTimeout = Config.Limits.Pop3IdleTimeout,
                        MaxBadCommands = Config.Limits.ErrorLimit,
                    },
                }, store, authenticator, failures, pop3Log, pop3Users);
                pop3.Start();
                _mailboxListeners.Add(pop3);
                endpoints.Add(new MailServerEndpoint(listener.Kind == MailListenerKind.Pop3 ? "POP3" : "POP3S", pop3.LocalEndPoint));
                continue;
            }
            var kind = listener.Kind switch
            {
                MailListenerKind.Submission => SmtpListenerKind.Submission,
                MailListenerKind.SubmissionTls => SmtpListenerKind.SubmissionTls,
                _ => SmtpListenerKind.Mta,
            };
            var smtp = new SmtpListener(new SmtpListenerOptions
            {
                EndPoint = listener.EndPoint,
                Kind = kind,
                MaxConnections = Config.Limits.MaxConnections,
                MaxConnectionsPerClient = Config.Limits.MaxConnectionsPerClient,
                Session = new SmtpSessionOptions
                {
                    HostName = Config.Hostname,
                    Certificate = _certificate,
                    MaxMessageSize = Config.Limits.MessageSizeLimit,
                    MaxRecipients = Config.Limits.RecipientLimit,
                    CommandTimeout = Config.Limits.CommandTimeout,
                    DataTimeout = Config.Limits.DataTimeout,
                    MaxErrors = Config.Limits.ErrorLimit,
                    EnableVrfy = Config.Vrfy,
                    AllowPlaintextAuthOnLoopback = Config.AllowPlaintextAuthOnLoopback,
                    Authentication = authentication,
                    RateLimits = rateLimits,
                    Resolver = resolver,
                    ClientNameLookup = Config.Dns.ClientNameLookup,
                    Blocklists = Config.Dns.Blocklists,
                    AuthFailureDelay = Config.Limits.AuthFailureDelay,
                },
            }, policy, Queue, authenticator, this);
            smtp.Start();
            _listeners.Add(smtp);
            var protocol = kind switch { SmtpListenerKind.Submission => "Submission", SmtpListenerKind.SubmissionTls => "Submissions", _ => "SMTP" };
            endpoints.Add(new MailServerEndpoint(protocol, smtp.LocalEndPoint));
        }
        Endpoints = endpoints;
    }

    /// <inheritdoc />
    void ISmtpSessionObserver.OnEvent(SmtpSessionEvent sessionEvent)
    {
        // The log line first, so cleanup's message-id line comes before the queue manager's lines for the message.
        _sessionLog.OnEvent(sessionEvent);
        switch (sessionEvent.Kind)
        {
            case SmtpSessionEventKind.Connected:
                Interlocked.Increment(ref _connections);
                break;
            case SmtpSessionEventKind.Queued:
                Interlocked.Increment(ref _queued);
                _delivery.Signal();
                break;
            case SmtpSessionEventKind.Rejected:
                Interlocked.Increment(ref _rejected);
                break;
        }
    }

    /// <summary>
    /// Stops gracefully: listeners stop accepting, sessions in DATA get <paramref name="grace"/> to finish (then 421),
    /// delivery finishes the message in hand. Everything accepted stays in the queue for the next start.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        using var deadline = new CancellationTokenSource(grace);
        await Task.WhenAll(_listeners.Select(l => l.StopAsync(deadline.Token)).Concat(_mailboxListeners.Select(l => l.StopAsync(deadline.Token)))).ConfigureAwait(false);
        if (_controlSocket is not null) await _controlSocket.DisposeAsync().ConfigureAwait(false);
        await _delivery.StopAsync().ConfigureAwait(false);
        foreach (var listener in _listeners) await listener.DisposeAsync().ConfigureAwait(false);
        foreach (var listener in _mailboxListeners) await listener.DisposeAsync().ConfigureAwait(false);
        await _delivery.DisposeAsync().ConfigureAwait(false);
        await _remote.DisposeAsync().ConfigureAwait(false);
        _log.Dispose();
        _certificate.Dispose();
        // Last: from now on another server, or a queue command acting on the files, may take the queue.
        _queueLock.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

    private static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
