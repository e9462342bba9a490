using System.Net;

namespace MailOps.Engine.Auth;

/// <summary>
/// Logged-in sessions counted per protocol, user and client address, as Dovecot's anvil counts them for
/// mail_max_userip_connections: a login that would make the count exceed <see cref="Limit"/> is refused. IMAP and IMAPS
/// count together ("imap"), POP3 and POP3S together ("pop3"), and the two protocols apart, as in Dovecot.
/// </summary>
public sealed class UserConnectionCounts
{
    /// <summary>The start of the refusal text, Dovecot's; the log line's reason too.</summary>
    internal const string ExceededText = "Maximum number of connections from user+IP exceeded";

    private readonly Dictionary<(string Protocol, string User, IPAddress Address), int> _counts = [];

    /// <summary>Counts with this limit.</summary>
    /// <param name="limit">Sessions of one user from one address per protocol; 0 is no limit (Dovecot's mail_max_userip_connections, default 10).</param>
    public UserConnectionCounts(int limit = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Limit = limit;
    }

    /// <summary>Sessions of one user from one address per protocol; 0 is no limit.</summary>
    public int Limit { get; }

    /// <summary>Dovecot's refusal text, naming the setting and its value.</summary>
    public string Refusal => $"{ExceededText} (mail_max_userip_connections={Limit})";

    /// <summary>The logged-in sessions of <paramref name="user"/> (any case) from <paramref name="address"/> over <paramref name="protocol"/> now.</summary>
    public int CountOf(string protocol, string user, IPAddress address)
    {
        lock (_counts)
        {
            return _counts.GetValueOrDefault(Key(protocol, user, address));
        }
    }

    /// <summary>Counts one more session, or returns null when the user has <see cref="Limit"/> from that address already. Dispose the result when the session ends.</summary>
    internal IDisposable? TryAdd(string protocol, string user, IPAddress address)
    {
        var key = Key(protocol, user, address);
        lock (_counts)
        {
            var count = _counts.GetValueOrDefault(key);
            if (Limit > 0 && count >= Limit) return null;
            _counts[key] = count + 1;
        }
        return new Slot(this, key);
    }

    private static (string, string, IPAddress) Key(string protocol, string user, IPAddress address) =>
        (protocol, user.ToLowerInvariant(), address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private void Release((string, string, IPAddress) key)
    {
        lock (_counts)
        {
            if (--_counts[key] == 0) _counts.Remove(key);
        }
    }

    private sealed class Slot(UserConnectionCounts counts, (string, string, IPAddress) key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) counts.Release(key);
        }
    }
}
