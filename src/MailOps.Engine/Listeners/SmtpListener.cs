using System.Net;
using System.Net.Sockets;
using MailOps.Engine.Auth;
using MailOps.Engine.Policy;
using MailOps.Engine.Queue;
using MailOps.Engine.Smtp;

namespace MailOps.Engine.Listeners;

/// <summary>
/// Accepts TCP connections on one endpoint and runs an SMTP session for each, within connection limits (Postfix's
/// master and smtpd). Start with <see cref="MailListener.Start"/>; <see cref="MailListener.StopAsync"/> stops gracefully.
/// </summary>
public sealed class SmtpListener : MailListener
{
    private readonly SmtpSessionOptions _sessionOptions;
    private readonly RelayPolicy _policy;
    private readonly MailQueue _queue;
    private readonly IMailAuthenticator? _authenticator;
    private readonly ISmtpSessionObserver? _observer;

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
            // The service names of Postfix's master.cf, as anvil counts and smtpd reports them.
            ServiceName = options.Kind switch { SmtpListenerKind.Submission => "submission", SmtpListenerKind.SubmissionTls => "submissions", _ => "smtp" },
        };
        _policy = policy;
        _queue = queue;
        _authenticator = authenticator;
        _observer = observer;
        Acceptor = new SessionAcceptor(options.EndPoint, options.MaxConnections, options.MaxConnectionsPerClient, options.ShutdownGrace, RunSessionAsync,
            address => $"421 4.7.0 {_sessionOptions.HostName} Error: too many connections from {address}",
            // smtpd's warning for smtpd_client_connection_count_limit, counting the refused one.
            (client, count) => Warn(client, $"Connection concurrency limit exceeded: {count}"));
    }

    private protected override SessionAcceptor Acceptor { get; }

    private Task RunSessionAsync(NetworkStream stream, IPEndPoint client, IPEndPoint local, CancellationToken stopping, CancellationToken aborting) =>
        new SmtpSession(stream, client, _sessionOptions, _policy, _queue, _authenticator, _observer, stopping, aborting).RunAsync();

    private void Warn(IPEndPoint client, string text)
    {
        try
        {
            _observer?.OnEvent(new SmtpSessionEvent(SmtpSessionEventKind.LimitExceeded, client, null, text, null) { Service = _sessionOptions.ServiceName });
        }
        catch (Exception)
        {
            // A broken log writer must not stop the listener.
        }
    }
}
