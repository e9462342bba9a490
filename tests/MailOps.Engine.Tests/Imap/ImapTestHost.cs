using System.Net;
using MailOps.Engine.Auth;
using MailOps.Engine.Imap;
using MailOps.Engine.Listeners;
using MailOps.Engine.Logging;
using MailOps.Engine.Tests.Smtp;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Imap;

/// <summary>An IMAP and an IMAPS listener on free 127.0.0.1 ports over a <see cref="MailboxTestHost"/>'s store.</summary>
public sealed class ImapTestHost : MailboxTestHost
{
    private ImapTestHost(ImapSessionOptions session, int maxLoginFailures, int maxUserIpConnections, int maxConnections, int maxConnectionsPerClient, string? mailRoot)
        : base("mailops-imap", maxLoginFailures, mailRoot)
    {
        var log = new ImapSessionLog(Log);
        var endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        // One count for both listeners, as the server keeps it.
        var perUser = new UserConnectionCounts(maxUserIpConnections);
        Listen(new ImapListener(new ImapListenerOptions { EndPoint = endPoint, Session = session, MaxConnections = maxConnections, MaxConnectionsPerClient = maxConnectionsPerClient }, Store, Users, Failures, log, perUser),
            new ImapListener(new ImapListenerOptions { EndPoint = endPoint, Session = session, ImplicitTls = true, MaxConnections = maxConnections, MaxConnectionsPerClient = maxConnectionsPerClient }, Store, Users, Failures, log, perUser));
    }

    /// <summary>Starts a host; <paramref name="plaintextOnLoopback"/> allows LOGIN and AUTHENTICATE without TLS from 127.0.0.1.</summary>
    /// <param name="plaintextOnLoopback">Allow logins before TLS on loopback.</param>
    /// <param name="maxLoginFailures">Failed logins per address before it is refused.</param>
    /// <param name="loginTimeout">The idle timeout before login.</param>
    /// <param name="idleTimeout">The idle timeout after login, in IDLE too.</param>
    /// <param name="maxUserIpConnections">Logged-in sessions of one user from one address (0: no limit).</param>
    /// <param name="maxConnections">Sessions at once, per listener.</param>
    /// <param name="maxConnectionsPerClient">Sessions at once from one address, per listener.</param>
    /// <param name="idlePollInterval">How often IDLE looks for what other programs changed (30 s by default).</param>
    /// <param name="mailRoot">The store's location template (kept across hosts, for a restart); a temporary one by default.</param>
    public static ImapTestHost Start(bool plaintextOnLoopback = true, int maxLoginFailures = 100, TimeSpan? loginTimeout = null, TimeSpan? idleTimeout = null,
        int maxUserIpConnections = 10, int maxConnections = 100, int maxConnectionsPerClient = 50, TimeSpan? idlePollInterval = null,
        string? mailRoot = null) =>
        new(new ImapSessionOptions
        {
            Certificate = TestCertificate.Localhost,
            AllowPlaintextAuthOnLoopback = plaintextOnLoopback,
            LoginTimeout = loginTimeout ?? TimeSpan.FromSeconds(60),
            IdleTimeout = idleTimeout ?? TimeSpan.FromMinutes(30),
            IdlePollInterval = idlePollInterval ?? TimeSpan.FromSeconds(30),
        }, maxLoginFailures, maxUserIpConnections, maxConnections, maxConnectionsPerClient, mailRoot);
}
