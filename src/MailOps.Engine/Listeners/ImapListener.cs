using System.Net;
using System.Net.Sockets;
using MailOps.Engine.Auth;
using MailOps.Engine.Imap;
using MailOps.Engine.Logging;
using MailOps.Engine.Store;

namespace MailOps.Engine.Listeners;

/// <summary>
/// Accepts TCP connections on one endpoint and runs an IMAP session for each over the mail store, within connection
/// limits (Dovecot's imap-login service, with imap and imaps listeners). Start with <see cref="MailListener.Start"/>;
/// <see cref="MailListener.StopAsync"/> ends the sessions ("* BYE Server shutting down.").
/// </summary>
public sealed class ImapListener : MailListener
{
    private readonly ImapSessionOptions _sessionOptions;
    private readonly IMailStore _store;
    private readonly IMailAuthenticator _authenticator;
    private readonly LoginFailures _failures;
    private readonly ImapSessionLog? _log;

    /// <summary>A listener serving the folders of <paramref name="store"/> to users <paramref name="authenticator"/> accepts.</summary>
    /// <param name="options">Endpoint, implicit TLS, limits and session settings.</param>
    /// <param name="store">The users' mail.</param>
    /// <param name="authenticator">Checks passwords.</param>
    /// <param name="failures">Failed logins per address, shared with the server's other login services.</param>
    /// <param name="log">Writes Dovecot's login and logout lines; may be null.</param>
    public ImapListener(ImapListenerOptions options, IMailStore store, IMailAuthenticator authenticator, LoginFailures failures, ImapSessionLog? log = null)
    {
        if (options.ImplicitTls && options.Session.Certificate is null) throw new ArgumentException("An IMAPS listener needs a certificate.", nameof(options));
        _sessionOptions = options.Session with { ImplicitTls = options.ImplicitTls };
        _store = store;
        _authenticator = authenticator;
        _failures = failures;
        _log = log;
        Acceptor = new SessionAcceptor(options.EndPoint, options.MaxConnections, options.MaxConnectionsPerClient, options.ShutdownGrace, RunSessionAsync,
            address => $"* BYE Too many connections from {address}.");
    }

    private protected override SessionAcceptor Acceptor { get; }

    private Task RunSessionAsync(NetworkStream stream, IPEndPoint client, IPEndPoint local, CancellationToken stopping, CancellationToken aborting) =>
        new ImapSession(stream, client, local, _sessionOptions, _store, _authenticator, _failures, _log, stopping, aborting).RunAsync();
}
