using System.Net;
using MailOps.Engine.Imap;

namespace MailOps.Engine.Listeners;

/// <summary>Where an IMAP listener listens, whether it is IMAPS, its connection limits and its sessions' settings.</summary>
public sealed record ImapListenerOptions
{
    /// <summary>The address and port to listen on; port 0 picks a free port (see <see cref="MailListener.LocalEndPoint"/>).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>IMAPS (RFC 8314 3.3): TLS from the first byte; needs <see cref="ImapSessionOptions.Certificate"/>.</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>The most sessions at once; further clients get "* BYE" and are closed (Dovecot's process_limit).</summary>
    public int MaxConnections { get; init; } = 100;

    /// <summary>The most sessions at once from one client address (Dovecot's mail_max_userip_connections is per user and address).</summary>
    public int MaxConnectionsPerClient { get; init; } = 50;

    /// <summary>On stop, how long sessions may take to finish before they are cut off.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The settings of each session; <see cref="ImplicitTls"/> sets its ImplicitTls.</summary>
    public ImapSessionOptions Session { get; init; } = new();
}
