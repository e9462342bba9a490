using System.Net;
using MailKit.Net.Imap;
using MailKit.Security;

namespace MailOps.Engine.Tests.Imap;

/// <summary>
/// IMAP's connection limits: logged-in sessions per user and client address (Dovecot's mail_max_userip_connections, with
/// Dovecot's exact refusal), and connections in total and per address before the greeting.
/// </summary>
public sealed class ImapConnectionLimitTests
{
    private const string Refusal = "NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)";

    [Fact]
    public async Task The_eleventh_login_of_a_user_from_one_address_is_refused_as_Dovecot_does_while_the_ten_work_and_a_logout_frees_a_slot()
    {
        await using var host = ImapTestHost.Start();
        var sessions = new List<RawImapClient>();
        try
        {
            await LogInAsync(host, sessions, 10);

            await using (var eleventh = await RawImapClient.ConnectAsync(host.Port))
            {
                Assert.Equal("a1 " + Refusal, (await eleventh.CommandAsync("LOGIN alice secret"))[^1]);
                Assert.Equal("<closed>", await eleventh.ReadLineAsync());
            }
            Assert.Contains("imap-login: Disconnected: Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10): user=<alice>, method=PLAIN, rip=127.0.0.1",
                host.WaitForLog("mail_max_userip_connections=10"));
            // IMAPS counts with IMAP, as Dovecot's imap service does.
            var transcript = new MemoryStream();
            using (var overTls = new ImapClient(new MailKit.ProtocolLogger(transcript, leaveOpen: true)) { ServerCertificateValidationCallback = (_, _, _, _) => true, Timeout = 20_000 })
            {
                await overTls.ConnectAsync("127.0.0.1", host.TlsPort, SecureSocketOptions.SslOnConnect);
                await Assert.ThrowsAsync<AuthenticationException>(() => overTls.AuthenticateAsync(new SaslMechanismPlain("alice", "secret")));
            }
            Assert.Contains(" " + Refusal + "\r\n", System.Text.Encoding.UTF8.GetString(transcript.ToArray()));

            // The ten still work; another user and the same user from another address are not counted with them.
            foreach (var (imap, i) in sessions.Select((s, i) => (s, i)))
                Assert.StartsWith("a2 OK", (await imap.CommandAsync(i % 2 == 0 ? "SELECT INBOX" : "NOOP"))[^1]);
            await using (var bob = await RawImapClient.ConnectAsync(host.Port))
                Assert.StartsWith("a1 OK", (await bob.CommandAsync("LOGIN bob secret"))[^1]);
            using (var elsewhere = new ImapClient { LocalEndPoint = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), Timeout = 20_000 })
            {
                await elsewhere.ConnectAsync("127.0.0.1", host.Port, SecureSocketOptions.None);
                await elsewhere.AuthenticateAsync("alice", "secret");
                await elsewhere.DisconnectAsync(true);
            }

            // A logout frees a slot once the server has closed that session.
            Assert.StartsWith("a3 OK", (await sessions[0].CommandAsync("LOGOUT"))[^1]);
            Assert.Equal("<closed>", await sessions[0].ReadLineAsync());
            await using var again = await RawImapClient.ConnectAsync(host.Port);
            Assert.StartsWith("a1 OK", (await again.CommandAsync("LOGIN alice secret"))[^1]);
            await using var over = await RawImapClient.ConnectAsync(host.Port);
            Assert.Equal("a1 " + Refusal, (await over.CommandAsync("LOGIN alice secret"))[^1]);
        }
        finally
        {
            foreach (var imap in sessions) await imap.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_no_user_limit_more_than_ten_sessions_log_in()
    {
        await using var host = ImapTestHost.Start(maxUserIpConnections: 0);
        var sessions = new List<RawImapClient>();
        try
        {
            await LogInAsync(host, sessions, 12);
        }
        finally
        {
            foreach (var imap in sessions) await imap.DisposeAsync();
        }
    }

    [Fact]
    public async Task Connections_over_the_per_address_and_the_total_limit_get_BYE_before_any_greeting()
    {
        await using var host = ImapTestHost.Start(maxConnections: 3, maxConnectionsPerClient: 2);
        await using var first = await RawImapClient.ConnectAsync(host.Port);
        await using var second = await RawImapClient.ConnectAsync(host.Port);
        await using (var third = await RawImapClient.ConnectAsync(host.Port))
        {
            Assert.Equal("* BYE Too many connections from 127.0.0.1.", third.Greeting);
            Assert.Equal("<closed>", await third.ReadLineAsync());
        }
        Assert.StartsWith("* OK", first.Greeting);

        using var fromTwo = new System.Net.Sockets.TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await fromTwo.ConnectAsync(IPAddress.Loopback, host.Port);
        var two = new StreamReader(fromTwo.GetStream());
        Assert.StartsWith("* OK", await two.ReadLineAsync());
        // Three sessions now: the total is reached for every address.
        using var fromThree = new System.Net.Sockets.TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
        await fromThree.ConnectAsync(IPAddress.Loopback, host.Port);
        var three = new StreamReader(fromThree.GetStream());
        Assert.Equal("* BYE Too many connections from 127.0.0.3.", await three.ReadLineAsync());
        Assert.Null(await three.ReadLineAsync());
        Assert.StartsWith("a1 OK", (await first.CommandAsync("LOGIN alice secret"))[^1]);
    }

    /// <summary>Opens <paramref name="count"/> sessions as alice, each logged in, added to <paramref name="sessions"/> to be closed.</summary>
    private static async Task LogInAsync(ImapTestHost host, List<RawImapClient> sessions, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var imap = await RawImapClient.ConnectAsync(host.Port);
            sessions.Add(imap);
            Assert.StartsWith("a1 OK", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
        }
    }
}
