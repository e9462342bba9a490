using System.Net;

namespace MailOps.Engine.Auth;

/// <summary>
/// Failed logins counted per client address, for every login service of a server: each failure is answered later than
/// the one before (Dovecot's auth_failure_delay, growing), and an address with <see cref="Limit"/> failures within
/// <see cref="Window"/> may not try again until its oldest failure leaves the window.
/// </summary>
public sealed class LoginFailures
{
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _failures = [];
    private readonly TimeProvider _time;

    /// <summary>Counts failures with these limits.</summary>
    /// <param name="limit">Failures from one address within <paramref name="window"/> after which it is refused.</param>
    /// <param name="window">How long a failure counts.</param>
    /// <param name="delay">The wait before the answer to the first failure; the n-th waits n times as long, at most 15 s.</param>
    /// <param name="time">The clock; the system's by default.</param>
    public LoginFailures(int limit, TimeSpan window, TimeSpan delay, TimeProvider? time = null)
    {
        Limit = limit;
        Window = window;
        Delay = delay;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Failures from one address after which it is refused.</summary>
    public int Limit { get; }

    /// <summary>How long a failure counts.</summary>
    public TimeSpan Window { get; }

    /// <summary>The wait before answering a first failure.</summary>
    public TimeSpan Delay { get; }

    /// <summary>The failures from <paramref name="address"/> that still count.</summary>
    public int CountOf(IPAddress address)
    {
        lock (_failures)
        {
            return Current(address)?.Count ?? 0;
        }
    }

    /// <summary>True when <paramref name="address"/> has used up its failures: refuse its logins, even right ones.</summary>
    public bool IsBlocked(IPAddress address) => CountOf(address) >= Limit;

    /// <summary>Counts a failure from <paramref name="address"/>; returns how long to wait before answering it.</summary>
    public TimeSpan Fail(IPAddress address)
    {
        int count;
        lock (_failures)
        {
            var list = Current(address);
            if (list is null) _failures[address] = list = new Queue<DateTimeOffset>();
            list.Enqueue(_time.GetUtcNow());
            count = list.Count;
            // Forget addresses whose failures have all expired, so the table does not grow without bound.
            if (_failures.Count > 10_000) foreach (var gone in _failures.Keys.ToList()) Current(gone);
        }
        return TimeSpan.FromTicks(Math.Min(Delay.Ticks * count, TimeSpan.FromSeconds(15).Ticks));
    }

    private Queue<DateTimeOffset>? Current(IPAddress address)
    {
        if (!_failures.TryGetValue(address, out var list)) return null;
        var since = _time.GetUtcNow() - Window;
        while (list.Count > 0 && list.Peek() < since) list.Dequeue();
        if (list.Count > 0) return list;
        _failures.Remove(address);
        return null;
    }
}
