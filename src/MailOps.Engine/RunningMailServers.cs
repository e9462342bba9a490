using System.Collections.Concurrent;
using MailOps.Engine.Configuration;

namespace MailOps.Engine;

/// <summary>The servers running in this process, by name: what Get-MailServer lists and Stop-MailServer stops.</summary>
public static class RunningMailServers
{
    private static readonly ConcurrentDictionary<string, MailServer> Servers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The running servers, by name.</summary>
    public static IReadOnlyList<MailServer> All => [.. Servers.Values.Where(s => s.IsRunning).OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)];

    /// <summary>The running server called <paramref name="name"/>, or null.</summary>
    public static MailServer? Find(string name) => Servers.TryGetValue(name, out var s) && s.IsRunning ? s : null;

    /// <summary>Starts a server and registers it under <paramref name="name"/>, which must be free.</summary>
    /// <exception cref="InvalidOperationException">A server of that name is running.</exception>
    public static async Task<MailServer> StartAsync(MailServerConfig config, string name, CancellationToken cancellationToken = default)
    {
        foreach (var (key, stale) in Servers.Where(p => !p.Value.IsRunning).ToArray()) Servers.TryRemove(key, out _);
        if (Find(name) is not null) throw new InvalidOperationException($"A mail server named '{name}' is running already.");
        var server = await MailServer.StartAsync(config, name, cancellationToken).ConfigureAwait(false);
        if (!Servers.TryAdd(name, server))
        {
            await server.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            throw new InvalidOperationException($"A mail server named '{name}' is running already.");
        }
        return server;
    }

    /// <summary>Stops <paramref name="server"/> gracefully and forgets it.</summary>
    public static async Task StopAsync(MailServer server, TimeSpan grace)
    {
        await server.StopAsync(grace).ConfigureAwait(false);
        Servers.TryRemove(new KeyValuePair<string, MailServer>(server.Name, server));
    }
}
