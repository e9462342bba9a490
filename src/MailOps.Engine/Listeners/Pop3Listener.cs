using System.Net;
using System.Net.Sockets;
using MailOps.Engine.Auth;
using MailOps.Engine.Logging;
using MailOps.Engine.Pop3;
using MailOps.Engine.Store;

namespace MailOps.Engine.Listeners;

/// <summary>
/// Accepts TCP connections on one endpoint and runs a POP3 session for each over the mail store, within connection
/// limits (Dovecot's pop3-login service, with pop3 and pop3s listeners). Start with <see cref="MailListener.Start"/>;
/// <see cref="MailListener.StopAsync"/> ends the sessions ("-ERR [SYS/TEMP] Server shutting down."); nothing a session marked
/// for deletion is deleted unless it reached QUIT.
/// </summary>
public sealed class Pop3Listener : MailListener
{
    private readonly Pop3SessionOptions _sessionOptions;
    private readonly IMailStore _store;
    private readonly IMailAuthenticator _authenticator;
    private readonly LoginFailures _failures;
    private readonly Pop3SessionLog? _log;
    private readonly UserConnectionCounts _userConnections;

    /// <summary>A listener serving the INBOXes of <paramref name="store"/> to users <paramref name="authenticator"/> accepts.</summary>
    /// <param name="options">Endpoint, implicit TLS, limits and session settings.</param>
    /// <param name="store">The users' mail.</param>
    /// <param name="authenticator">Checks passwords.</param>
    /// <param name="failures">Failed logins per address, shared with the server's other login services.</param>
    /// <param name="log">Writes Dovecot's login and logout lines; may be null.</param>
    /// <param name="userConnections">Logged-in sessions per user and address, shared with the server's other POP3 listeners; null: this listener's own, Dovecot's default of 10.</param>
    public Pop3Listener(Pop3ListenerOptions options, IMailStore store, IMailAuthenticator authenticator, LoginFailures failures, Pop3SessionLog? log = null,
        UserConnectionCounts? userConnections = null)
    {
        _userConnections = userConnections ?? new UserConnectionCounts();
        if (options.ImplicitTls && options.Session.Certificate is null) throw new ArgumentException("A POP3S listener needs a certificate.", nameof(options));
        _sessionOptions = options.Session with { ImplicitTls = options.ImplicitTls };
        _store = store;
        _authenticator = authenticator;
        _failures = failures;
        _log = log;
        Acceptor = new SessionAcceptor(options.EndPoint, options.MaxConnections, options.MaxConnectionsPerClient, options.ShutdownGrace, RunSessionAsync,
            address => $"-ERR [SYS/TEMP] Too many connections from {address}.");
    }

    private protected override SessionAcceptor Acceptor { get; }

    private Task RunSessionAsync(NetworkStream stream, IPEndPoint client, IPEndPoint local, CancellationToken stopping, CancellationToken aborting) =>
        new Pop3Session(stream, client, local, _sessionOptions, _store, _authenticator, _failures, _userConnections, _log, stopping, aborting).RunAsync();
}
