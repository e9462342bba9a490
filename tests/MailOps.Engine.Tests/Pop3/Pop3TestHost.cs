using System.Net;
using MailOps.Engine.Auth;
using MailOps.Engine.Listeners;
using MailOps.Engine.Logging;
using MailOps.Engine.Pop3;
using MailOps.Engine.Tests.Smtp;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Pop3;

/// <summary>A POP3 and a POP3S listener on free 127.0.0.1 ports over a <see cref="MailboxTestHost"/>'s store.</summary>
public sealed class Pop3TestHost : MailboxTestHost
{
    private Pop3TestHost(Pop3SessionOptions session, int maxLoginFailures, string? mailRoot, int maxConnectionsPerClient, int maxUserIpConnections)
        : base("mailops-pop3", maxLoginFailures, mailRoot)
    {
        var log = new Pop3SessionLog(Log);
        var perUser = new UserConnectionCounts(maxUserIpConnections);
        var endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        Listen(new Pop3Listener(new Pop3ListenerOptions { EndPoint = endPoint, Session = session, MaxConnectionsPerClient = maxConnectionsPerClient }, Store, Users, Failures, log, perUser),
            new Pop3Listener(new Pop3ListenerOptions { EndPoint = endPoint, Session = session, ImplicitTls = true, MaxConnectionsPerClient = maxConnectionsPerClient }, Store, Users, Failures, log, perUser));
    }

    /// <summary>Starts a host; <paramref name="plaintextOnLoopback"/> allows logins without TLS from 127.0.0.1.</summary>
    /// <param name="plaintextOnLoopback">Allow USER/PASS and AUTH before TLS on loopback.</param>
    /// <param name="maxLoginFailures">Failed logins per address before it is refused.</param>
    /// <param name="mailRoot">The store's location template; a temporary one by default.</param>
    /// <param name="idleTimeout">The logged-in idle timeout.</param>
    /// <param name="loginTimeout">The idle timeout before login.</param>
    /// <param name="maxConnectionsPerClient">Sessions at once from one address, per listener.</param>
    /// <param name="maxUserIpConnections">Logged-in sessions of one user from one address (0: no limit).</param>
    public static Pop3TestHost Start(bool plaintextOnLoopback = true, int maxLoginFailures = 100, string? mailRoot = null, TimeSpan? idleTimeout = null,
        TimeSpan? loginTimeout = null, int maxConnectionsPerClient = 20, int maxUserIpConnections = 10) =>
        new(new Pop3SessionOptions
        {
            Certificate = TestCertificate.Localhost,
            AllowPlaintextAuthOnLoopback = plaintextOnLoopback,
            IdleTimeout = idleTimeout ?? TimeSpan.FromMinutes(10),
            LoginTimeout = loginTimeout ?? TimeSpan.FromSeconds(60),
        }, maxLoginFailures, mailRoot, maxConnectionsPerClient, maxUserIpConnections);
}
