using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailOps.Engine.Listeners;

/// <summary>
/// The part every listener shares (Postfix's master, Dovecot's login service): accepts TCP connections on one endpoint,
/// keeps the limits in total and per client address, runs one session per connection, and stops gracefully. A client
/// over a limit gets the protocol's refusal line and is closed.
/// </summary>
internal sealed class SessionAcceptor : IAsyncDisposable
{
    /// <summary>Runs one session over the accepted connection; it must not throw.</summary>
    /// <param name="stream">The connection, owned by the session.</param>
    /// <param name="client">The client's address and port (IPv4-mapped addresses made IPv4).</param>
    /// <param name="local">The local address and port the client reached.</param>
    /// <param name="stopping">Cancelled when the listener stops: end at the next command.</param>
    /// <param name="aborting">Cancelled when the stop's grace is over: end now.</param>
    public delegate Task SessionRunner(NetworkStream stream, IPEndPoint client, IPEndPoint local, CancellationToken stopping, CancellationToken aborting);

    private readonly IPEndPoint _endPoint;
    private readonly int _maxConnections;
    private readonly int _maxPerClient;
    private readonly TimeSpan _shutdownGrace;
    private readonly SessionRunner _runSession;
    private readonly Func<IPAddress, string> _refusal;
    private readonly Action<IPEndPoint, int>? _perClientLimitExceeded;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborting = new();
    private readonly Dictionary<IPAddress, int> _perClient = [];
    private readonly HashSet<Task> _sessions = [];
    private readonly object _gate = new();
    private int _active;
    private TcpListener? _listener;
    private Task? _acceptLoop;

    /// <param name="endPoint">Where to listen; port 0 picks a free port.</param>
    /// <param name="maxConnections">Most sessions at once.</param>
    /// <param name="maxPerClient">Most sessions at once from one address.</param>
    /// <param name="shutdownGrace">How long running sessions get on stop before <c>aborting</c> is cancelled.</param>
    /// <param name="runSession">Runs one session.</param>
    /// <param name="refusal">The line (CRLF added) a client over a limit gets, given its address.</param>
    /// <param name="perClientLimitExceeded">Told of each connection refused for the per-client limit, with the count including it (for the log).</param>
    public SessionAcceptor(IPEndPoint endPoint, int maxConnections, int maxPerClient, TimeSpan shutdownGrace, SessionRunner runSession, Func<IPAddress, string> refusal,
        Action<IPEndPoint, int>? perClientLimitExceeded = null)
    {
        _perClientLimitExceeded = perClientLimitExceeded;
        _endPoint = endPoint;
        _maxConnections = maxConnections;
        _maxPerClient = maxPerClient;
        _shutdownGrace = shutdownGrace;
        _runSession = runSession;
        _refusal = refusal;
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
        if (_listener is not null) throw new InvalidOperationException("The listener is already started.");
        _listener = new TcpListener(_endPoint);
        _listener.Start(backlog: 100);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Stops accepting and cancels the sessions' stopping token; after the shutdown grace (or when
    /// <paramref name="cancellationToken"/> is cancelled) their aborting token too. Returns when every session has ended.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_listener is null) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);

        Task all = WhenAllSessions();
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task deadline = Task.Delay(_shutdownGrace, grace.Token);
        if (await Task.WhenAny(all, deadline).ConfigureAwait(false) != all) await _aborting.CancelAsync().ConfigureAwait(false);
        await grace.CancelAsync().ConfigureAwait(false);
        await all.ConfigureAwait(false);
    }

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases the resources.</summary>
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
                if (_stopping.IsCancellationRequested) return;
                continue;
            }

            var client = (IPEndPoint)socket.RemoteEndPoint!;
            IPAddress address = client.Address.IsIPv4MappedToIPv6 ? client.Address.MapToIPv4() : client.Address;
            lock (_gate)
            {
                _perClient.TryGetValue(address, out int fromClient);
                if (_active >= _maxConnections || fromClient >= _maxPerClient)
                {
                    if (fromClient >= _maxPerClient) _perClientLimitExceeded?.Invoke(client, fromClient + 1);
                    _ = RefuseAsync(socket, address);
                    continue;
                }

                _perClient[address] = fromClient + 1;
                _active++;
                _sessions.RemoveWhere(t => t.IsCompleted);
                var ready = new TaskCompletionSource();
                Task session = RunSessionAsync(socket, new IPEndPoint(address, client.Port), ready.Task);
                _sessions.Add(session);
                ready.SetResult();
            }
        }
    }

    private async Task RunSessionAsync(Socket socket, IPEndPoint client, Task registered)
    {
        await registered.ConfigureAwait(false);
        await Task.Yield();
        try
        {
            socket.NoDelay = true;
            var local = (IPEndPoint)socket.LocalEndPoint!;
            if (local.Address.IsIPv4MappedToIPv6) local = new IPEndPoint(local.Address.MapToIPv4(), local.Port);
            await _runSession(new QuickAckNetworkStream(socket), client, local, _stopping.Token, _aborting.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A session must never take the listener down; the session logs what it can itself.
        }
        finally
        {
            socket.Dispose();
            lock (_gate)
            {
                _active--;
                if (--_perClient[client.Address] == 0) _perClient.Remove(client.Address);
            }
        }
    }

    private async Task RefuseAsync(Socket socket, IPAddress address)
    {
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(_refusal(address) + "\r\n"), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The refused client may already be gone.
        }
    }
}
