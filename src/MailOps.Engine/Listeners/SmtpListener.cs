using System.Net;
using System.Net.Sockets;
using MailOps.Engine.Auth;
using MailOps.Engine.Policy;
using MailOps.Engine.Queue;
using MailOps.Engine.Smtp;

namespace MailOps.Engine.Listeners;

/// <summary>
/// Accepts TCP connections on one endpoint and runs an SMTP session for each, within connection limits (Postfix's
/// master and smtpd). Start with <see cref="Start"/>; <see cref="StopAsync"/> stops gracefully.
/// </summary>
public sealed class SmtpListener : IAsyncDisposable
{
    private readonly SmtpSessionOptions _sessionOptions;
    private readonly RelayPolicy _policy;
    private readonly MailQueue _queue;
    private readonly IMailAuthenticator? _authenticator;
    private readonly ISmtpSessionObserver? _observer;
    private readonly SessionAcceptor _acceptor;

    /// <summary>A listener that hands accepted messages to <paramref name="queue"/> after asking <paramref name="policy"/>.</summary>
    /// <param name="options">Endpoint, kind, limits and session settings.</param>
    /// <param name="policy">Decides senders and recipients.</param>
    /// <param name="queue">Where accepted messages are made durable.</param>
    /// <param name="authenticator">Checks AUTH passwords; null disables AUTH (then Submission can accept nothing).</param>
    /// <param name="observer">Receives session events for logging; may be null.</param>
    public SmtpListener(
        SmtpListenerOptions options,
        RelayPolicy policy,
        MailQueue queue,
        IMailAuthenticator? authenticator = null,
        ISmtpSessionObserver? observer = null)
    {
        if (options.Kind == SmtpListenerKind.SubmissionTls && options.Session.Certificate is null)
        {
            throw new ArgumentException("A SubmissionTls listener needs a certificate.", nameof(options));
        }

        _sessionOptions = options.Session with
        {
            RequireAuthentication = options.Session.RequireAuthentication || options.Kind != SmtpListenerKind.Mta,
            ImplicitTls = options.Kind == SmtpListenerKind.SubmissionTls,
        };
        _policy = policy;
        _queue = queue;
        _authenticator = authenticator;
        _observer = observer;
        _acceptor = new SessionAcceptor(options.EndPoint, options.MaxConnections, options.MaxConnectionsPerClient, options.ShutdownGrace, RunSessionAsync,
            address => $"421 4.7.0 {_sessionOptions.HostName} Error: too many connections from {address}");
    }

    /// <summary>The endpoint actually listened on (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => _acceptor.LocalEndPoint;

    /// <summary>How many sessions are running now.</summary>
    public int ActiveSessions => _acceptor.ActiveSessions;

    /// <summary>Binds the endpoint and starts accepting connections.</summary>
    public void Start() => _acceptor.Start();

    /// <summary>
    /// Stops accepting; sessions waiting for a command get 421 4.3.2 at once; sessions in message data may finish
    /// within <see cref="SmtpListenerOptions.ShutdownGrace"/>, then get 421 4.3.2. Cancelling
    /// <paramref name="cancellationToken"/> cuts the grace short.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _acceptor.StopAsync(cancellationToken);

    /// <summary>Stops the listener (see <see cref="StopAsync"/>) and releases its resources.</summary>
    public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

    private Task RunSessionAsync(NetworkStream stream, IPEndPoint client, IPEndPoint local, CancellationToken stopping, CancellationToken aborting) =>
        new SmtpSession(stream, client, _sessionOptions, _policy, _queue, _authenticator, _observer, stopping, aborting).RunAsync();
}
