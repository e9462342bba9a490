using System.Net;
using System.Net.Sockets;
using System.Text;
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
    private readonly SmtpListenerOptions _options;
    private readonly SmtpSessionOptions _sessionOptions;
    private readonly RelayPolicy _policy;
    private readonly MailQueue _queue;
    private readonly IMailAuthenticator? _authenticator;
    private readonly ISmtpSessionObserver? _observer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborting = new();
    private readonly Dictionary<IPAddress, int> _perClient = [];
    private readonly HashSet<Task> _sessions = [];
    private readonly object _gate = new();
    private int _active;
    private TcpListener? _listener;
    private Task? _acceptLoop;

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

        _options = options;
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
    }

    /// <summary>The endpoint actually listened on (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint =>
        (IPEndPoint?)_listener?.LocalEndpoint ?? throw new InvalidOperationException("The listener is not started.");

    /// <summary>How many sessions are running now.</summary>
    public int ActiveSessions
    {
        get
        {
            lock (_gate)
            {
                return _active;
            }
        }
    }

    /// <summary>Binds the endpoint and starts accepting connections.</summary>
    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The listener is already started.");
        }

        _listener = new TcpListener(_options.EndPoint);
        _listener.Start(backlog: 100);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Stops accepting; sessions waiting for a command get 421 4.3.2 at once; sessions in message data may finish
    /// within <see cref="SmtpListenerOptions.ShutdownGrace"/>, then get 421 4.3.2. Cancelling
    /// <paramref name="cancellationToken"/> cuts the grace short.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_listener is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task all = WhenAllSessions();
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task deadline = Task.Delay(_options.ShutdownGrace, grace.Token);
        if (await Task.WhenAny(all, deadline).ConfigureAwait(false) != all)
        {
            await _aborting.CancelAsync().ConfigureAwait(false);
        }

        await grace.CancelAsync().ConfigureAwait(false);
        await all.ConfigureAwait(false);
    }

    /// <summary>Stops the listener (see <see cref="StopAsync"/>) and releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _aborting.Dispose();
    }

    private Task WhenAllSessions()
    {
        lock (_gate)
        {
            return Task.WhenAll(_sessions.ToArray());
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            var client = (IPEndPoint)socket.RemoteEndPoint!;
            IPAddress address = client.Address.IsIPv4MappedToIPv6 ? client.Address.MapToIPv4() : client.Address;
            lock (_gate)
            {
                _perClient.TryGetValue(address, out int fromClient);
                if (_active >= _options.MaxConnections || fromClient >= _options.MaxConnectionsPerClient)
                {
                    if (fromClient >= _options.MaxConnectionsPerClient)
                    {
                        // smtpd's warning for smtpd_client_connection_count_limit, counting the refused one.
                        Warn(client, $"Connection concurrency limit exceeded: {fromClient + 1}");
                    }

                    _ = RefuseAsync(socket, address);
                    continue;
                }

                _perClient[address] = fromClient + 1;
                _active++;
                _sessions.RemoveWhere(t => t.IsCompleted);
                var ready = new TaskCompletionSource();
                Task session = RunSessionAsync(socket, client, address, ready.Task);
                _sessions.Add(session);
                ready.SetResult();
            }
        }
    }

    private async Task RunSessionAsync(Socket socket, IPEndPoint client, IPAddress address, Task registered)
    {
        await registered.ConfigureAwait(false);
        await Task.Yield();
        try
        {
            socket.NoDelay = true;
            var session = new SmtpSession(
                new NetworkStream(socket, ownsSocket: true),
                client,
                _sessionOptions,
                _policy,
                _queue,
                _authenticator,
                _observer,
                _stopping.Token,
                _aborting.Token);
            await session.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            socket.Dispose();
            lock (_gate)
            {
                _active--;
                if (--_perClient[address] == 0)
                {
                    _perClient.Remove(address);
                }
            }
        }
    }

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

    private async Task RefuseAsync(Socket socket, IPAddress address)
    {
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            byte[] reply = Encoding.ASCII.GetBytes($"421 4.7.0 {_sessionOptions.HostName} Error: too many connections from {address}\r\n");
            await stream.WriteAsync(reply, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The refused client may already be gone.
        }
    }
}
