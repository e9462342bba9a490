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
    /// <summary>A listener serving the folders of <paramref name="store"/> to users <paramref name="authenticator"/> accepts.</summary>
    /// <param name="options">Endpoint, implicit TLS, limits and session settings.</param>
    /// <param name="store">The users' mail.</param>
    /// <param name="authenticator">Checks passwords.</param>
    /// <param name="failures">Failed logins per address, shared with the server's other login services.</param>
    /// <param name="log">Writes Dovecot's login and logout lines; may be null.</param>
    /// <param name="userConnections">Logged-in sessions per user and address, shared with the server's other IMAP listeners; null: this listener's own, Dovecot's default of 10.</param>
    public ImapListener(ImapListenerOptions options, IMailStore store, IMailAuthenticator authenticator, LoginFailures failures, ImapSessionLog? log = null,
        UserConnectionCounts? userConnections = null)
    {
        var perUser = userConnections ?? new UserConnectionCounts();
        if (options.ImplicitTls && options.Session.Certificate is null) throw new ArgumentException("An IMAPS listener needs a certificate.", nameof(options));
        var session = options.Session with { ImplicitTls = options.ImplicitTls };
        Acceptor = new SessionAcceptor(options.EndPoint, options.MaxConnections, options.MaxConnectionsPerClient, options.ShutdownGrace,
            (stream, client, local, stopping, aborting) =>
                new ImapSession(stream, client, local, session, store, authenticator, failures, perUser, log, stopping, aborting).RunAsync(),
            address => $"* BYE Too many connections from {address}.");
    }

    private protected override SessionAcceptor Acceptor { get; }
}
