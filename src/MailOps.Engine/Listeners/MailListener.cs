using System.Net;

namespace MailOps.Engine.Listeners;

/// <summary>
/// A listening socket of the server that runs one protocol session per connection (<see cref="SmtpListener"/>,
/// <see cref="Pop3Listener"/>): what starting, stopping and counting sessions look like for all of them.
/// </summary>
public abstract class MailListener : IAsyncDisposable
{
    private protected MailListener()
    {
    }

    private protected abstract SessionAcceptor Acceptor { get; }

    /// <summary>The endpoint actually listened on (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => Acceptor.LocalEndPoint;

    /// <summary>How many sessions are running now.</summary>
    public int ActiveSessions => Acceptor.ActiveSessions;

    /// <summary>Binds the endpoint and starts accepting connections.</summary>
    public void Start() => Acceptor.Start();

    /// <summary>
    /// Stops accepting; sessions end at their next command, and those still busy after the listener's shutdown grace are
    /// cut off. Cancelling <paramref name="cancellationToken"/> cuts the grace short.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => Acceptor.StopAsync(cancellationToken);

    /// <summary>Stops the listener (see <see cref="StopAsync"/>) and releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await Acceptor.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
