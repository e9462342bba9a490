using System.Collections.Concurrent;

namespace MailOps.Hosts;

/// <summary>The host sessions open in this process: what Get-MailHostSession lists and Remove-MailHostSession closes.</summary>
public static class OpenMailHostSessions
{
    private static readonly ConcurrentDictionary<int, MailHostSession> Sessions = new();
    private static int _lastId;

    /// <summary>The open sessions, by Id.</summary>
    public static IReadOnlyList<MailHostSession> All => [.. Sessions.Values.OrderBy(s => s.Id)];

    /// <summary>Connects to one host over SSH and registers the session.</summary>
    /// <exception cref="SshHostKeyException">The host key is unknown, changed or revoked.</exception>
    public static async Task<MailHostSession> OpenAsync(MailHostSessionOptions options, CancellationToken cancellationToken = default)
    {
        var connection = await SshHostConnection.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        var session = new MailHostSession(Interlocked.Increment(ref _lastId), connection, options.HostName, options.Port, options.UserName, options.Sudo);
        Sessions[session.Id] = session;
        return session;
    }

    /// <summary>Disconnects <paramref name="session"/> and forgets it.</summary>
    public static async Task CloseAsync(MailHostSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Sessions.TryRemove(session.Id, out _);
        if (session.Connection is SshHostConnection ssh) await ssh.DisposeAsync().ConfigureAwait(false);
    }
}
