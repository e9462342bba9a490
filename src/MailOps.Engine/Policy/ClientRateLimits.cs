using System.Net;
using MailOps.Engine.Configuration;

namespace MailOps.Engine.Policy;

/// <summary>
/// Counts client events the way Postfix's anvil(8) does and tells smtpd when a rate limit is exceeded: connections,
/// MAIL and RCPT commands per client address and service, and messages per authenticated user, each within one time
/// unit (anvil_rate_time_unit) that starts at the first event and restarts after it ends. Clients in the exception
/// networks (smtpd_client_event_limit_exceptions, by default mynetworks) are never limited by address. Thread-safe.
/// </summary>
public sealed class ClientRateLimits
{
    private readonly MailLimitsConfig _limits;
    private readonly IReadOnlyList<IPNetwork> _exceptions;
    private readonly TimeProvider _time;
    private readonly Dictionary<(char Kind, string Service, string Key), Counter> _counters = [];
    private readonly object _gate = new();
    private DateTimeOffset _lastPurge;

    /// <summary>Limits from <paramref name="limits"/>; clients in <paramref name="exceptions"/> are exempt from the per-address ones.</summary>
    public ClientRateLimits(MailLimitsConfig limits, IEnumerable<IPNetwork> exceptions, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
        _exceptions = [.. exceptions];
        _time = time ?? TimeProvider.System;
        _lastPurge = _time.GetUtcNow();
    }

    /// <summary>Counts a connection; returns the count in this time unit when it is over smtpd_client_connection_rate_limit, else null.</summary>
    public int? Connect(string service, IPAddress client) => Count('c', service, client, _limits.ClientConnectionRateLimit);

    /// <summary>Counts a MAIL command; returns the count when it is over smtpd_client_message_rate_limit, else null.</summary>
    public int? Message(string service, IPAddress client) => Count('m', service, client, _limits.ClientMessageRateLimit);

    /// <summary>Counts a RCPT command; returns the count when it is over smtpd_client_recipient_rate_limit, else null.</summary>
    public int? Recipient(string service, IPAddress client) => Count('r', service, client, _limits.ClientRecipientRateLimit);

    /// <summary>Counts a MAIL command of an authenticated user (any service, any address); returns the count when over the limit, else null.</summary>
    public int? UserMessage(string user) => _limits.SaslUserMessageRateLimit <= 0 ? null : Count('u', "", user.ToLowerInvariant(), _limits.SaslUserMessageRateLimit);

    private int? Count(char kind, string service, IPAddress client, int limit)
    {
        if (limit <= 0) return null;
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        foreach (var network in _exceptions)
            if (network.BaseAddress.AddressFamily == client.AddressFamily && network.Contains(client)) return null;
        return Count(kind, service, client.ToString(), limit);
    }

    private int? Count(char kind, string service, string key, int limit)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now - _lastPurge > _limits.RateTimeUnit)
            {
                // anvil forgets a client whose time unit has passed: memory stays bounded by the clients of one unit.
                foreach (var stale in _counters.Where(c => now - c.Value.Start > _limits.RateTimeUnit).Select(c => c.Key).ToList()) _counters.Remove(stale);
                _lastPurge = now;
            }
            if (!_counters.TryGetValue((kind, service, key), out var counter) || now - counter.Start > _limits.RateTimeUnit)
                _counters[(kind, service, key)] = counter = new Counter { Start = now };
            // Refused events count too, as in anvil: a client that keeps trying stays over the limit.
            var rate = ++counter.Events;
            return rate > limit ? rate : null;
        }
    }

    private sealed class Counter
    {
        public DateTimeOffset Start { get; init; }
        public int Events { get; set; }
    }
}
