using System.Net;
using MailOps.Engine.Configuration;

namespace MailOps.Engine.Delivery;

/// <summary>How <see cref="RemoteDeliveryAgent"/> reaches other servers (Postfix's smtp(8) parameters).</summary>
public sealed record RemoteDeliveryOptions
{
    /// <summary>The name given in EHLO (Postfix's smtp_helo_name, $myhostname).</summary>
    public required string HostName { get; init; }

    /// <summary>The smarthost for all remote mail (relayhost); null for MX delivery.</summary>
    public MailRelayHost? RelayHost { get; init; }

    /// <summary>The AUTH login at <see cref="RelayHost"/>; null for none.</summary>
    public NetworkCredential? RelayHostCredentials { get; init; }

    /// <summary>TLS per destination (domain or relay host); "*" is the default; <see cref="MailTlsPolicy.May"/> otherwise.</summary>
    public IReadOnlyDictionary<string, MailTlsPolicy> TlsPolicies { get; init; } = new Dictionary<string, MailTlsPolicy>();

    /// <summary>The port of MX hosts: 25 (another port only for tests and labs).</summary>
    public int Port { get; init; } = 25;

    /// <summary>Connections at once to one destination (Postfix's default_destination_concurrency_limit, 20).</summary>
    public int DestinationConcurrency { get; init; } = 20;

    /// <summary>Time allowed for the TCP connection (Postfix's smtp_connect_timeout, 30 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for each reply (Postfix's smtp_*_timeout are 300 s for most commands).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How long an idle connection is kept for the next message to the same host (Postfix's smtp_connection_cache_time_limit, 2 s).</summary>
    public TimeSpan ConnectionCacheTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The TLS policy for <paramref name="destination"/>.</summary>
    public MailTlsPolicy TlsPolicyFor(string destination) =>
        TlsPolicies.TryGetValue(destination, out var level) ? level
        : TlsPolicies.TryGetValue("*", out var fallback) ? fallback
        : MailTlsPolicy.May;
}
