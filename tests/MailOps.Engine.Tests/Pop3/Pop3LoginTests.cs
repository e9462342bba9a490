namespace MailOps.Engine.Tests.Pop3;

/// <summary>Who may log in, when and how (RFC 2595 2.1, RFC 5034, RFC 2449 8.1, RFC 3206).</summary>
public sealed class Pop3LoginTests
{
    [Fact]
    public async Task Without_the_loopback_allowance_USER_and_AUTH_are_refused_before_STLS_and_work_after_it()
    {
        await using var host = Pop3TestHost.Start(plaintextOnLoopback: false);
        await using var pop = await RawPop3Client.ConnectAsync(host.Port);
        var (_, capabilities) = await pop.MultiLineAsync("CAPA");
        Assert.Contains("STLS", capabilities);
        Assert.DoesNotContain("USER", capabilities);
        Assert.DoesNotContain(capabilities, c => c.StartsWith("SASL", StringComparison.Ordinal));
        Assert.StartsWith("-ERR [AUTH] Plaintext authentication disallowed", await pop.CommandAsync("USER alice"));
        Assert.StartsWith("-ERR [AUTH]", await pop.CommandAsync("AUTH PLAIN " + Plain("alice", "secret")));

        Assert.StartsWith("+OK", await pop.CommandAsync("STLS"));
        await pop.StartTlsAsync();
        (_, capabilities) = await pop.MultiLineAsync("CAPA");
        Assert.DoesNotContain("STLS", capabilities);
        Assert.Contains("USER", capabilities);
        Assert.Contains("SASL PLAIN LOGIN", capabilities);
        Assert.StartsWith("-ERR", await pop.CommandAsync("STLS"));
        Assert.StartsWith("+OK", await pop.CommandAsync("USER alice"));
        Assert.StartsWith("+OK", await pop.CommandAsync("PASS secret"));
    }

    [Fact]
    public async Task POP3S_offers_logins_from_the_first_byte()
    {
        await using var host = Pop3TestHost.Start(plaintextOnLoopback: false);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", host.TlsPort);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        using var reader = new StreamReader(tls);
        Assert.StartsWith("+OK", await reader.ReadLineAsync());
        await tls.WriteAsync("AUTH PLAIN "u8.ToArray().Concat(System.Text.Encoding.ASCII.GetBytes(Plain("alice", "secret") + "\r\n")).ToArray());
        Assert.Equal("+OK Logged in.", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task SASL_PLAIN_works_with_an_initial_response_and_as_a_challenge_and_a_wrong_password_gets_AUTH()
    {
        await using var host = Pop3TestHost.Start();
        await using (var pop = await RawPop3Client.ConnectAsync(host.Port))
        {
            Assert.StartsWith("-ERR [AUTH] Authentication failed.", await pop.CommandAsync("AUTH PLAIN " + Plain("alice", "wrong")));
            Assert.StartsWith("-ERR", await pop.CommandAsync("AUTH PLAIN " + Convert.ToBase64String("admin\0alice\0secret"u8.ToArray())));
            Assert.Equal("+ ", await pop.CommandAsync("AUTH PLAIN"));
            Assert.StartsWith("-ERR", await pop.CommandAsync("*"));
            Assert.Equal("+ ", await pop.CommandAsync("AUTH PLAIN"));
            Assert.Equal("+OK Logged in.", await pop.CommandAsync(Plain("alice", "secret")));
        }
        await using (var pop = await RawPop3Client.ConnectAsync(host.Port))
            Assert.Equal("+OK Logged in.", await pop.CommandAsync("AUTH PLAIN " + Plain("bob", "secret")));
    }

    [Fact]
    public async Task An_address_with_too_many_failed_logins_is_refused_even_with_the_right_password()
    {
        await using var host = Pop3TestHost.Start(maxLoginFailures: 3);
        await using var pop = await RawPop3Client.ConnectAsync(host.Port);
        for (var i = 0; i < 3; i++)
        {
            Assert.StartsWith("+OK", await pop.CommandAsync("USER alice"));
            Assert.StartsWith("-ERR [AUTH]", await pop.CommandAsync("PASS guess" + i));
        }
        Assert.Equal(3, host.Failures.CountOf(System.Net.IPAddress.Loopback));
        await using var other = await RawPop3Client.ConnectAsync(host.Port);
        Assert.StartsWith("+OK", await other.CommandAsync("USER alice"));
        Assert.StartsWith("-ERR [SYS/TEMP]", await other.CommandAsync("PASS secret"));
    }

    [Fact]
    public async Task Overlong_lines_are_refused_without_ending_the_session()
    {
        await using var host = Pop3TestHost.Start();
        await using var pop = await RawPop3Client.ConnectAsync(host.Port);
        Assert.Equal("-ERR Input line too long.", await pop.CommandAsync("NOOP " + new string('n', 100_000)));
        Assert.StartsWith("+OK", await pop.CommandAsync("USER alice"));
        Assert.StartsWith("+OK", await pop.CommandAsync("PASS secret"));
    }

    [Fact]
    public async Task A_client_silent_before_login_is_told_and_disconnected_after_the_login_timeout()
    {
        await using var host = Pop3TestHost.Start(loginTimeout: TimeSpan.FromSeconds(1));
        await using var pop = await RawPop3Client.ConnectAsync(host.Port);
        Assert.Equal("-ERR Disconnected for inactivity.", await pop.ReadLineAsync());
        Assert.Equal("", await pop.ReadLineAsync());
        Assert.Contains("pop3-login: Disconnected (Inactivity - no input for 1 secs)", host.WaitForLog(@"Inactivity - no input"));
    }

    [Fact]
    public async Task Connections_over_the_per_address_limit_are_refused_with_SYS_TEMP()
    {
        await using var host = Pop3TestHost.Start(maxConnectionsPerClient: 2);
        await using var first = await RawPop3Client.ConnectAsync(host.Port);
        await using var second = await RawPop3Client.ConnectAsync(host.Port);
        using var third = new System.Net.Sockets.TcpClient();
        await third.ConnectAsync("127.0.0.1", host.Port);
        using var reader = new StreamReader(third.GetStream());
        Assert.Equal("-ERR [SYS/TEMP] Too many connections from 127.0.0.1.", await reader.ReadLineAsync());
        Assert.Null(await reader.ReadLineAsync());
        Assert.StartsWith("+OK", await first.CommandAsync("USER alice"));
    }

    [Fact]
    public async Task A_login_over_the_user_and_address_limit_gets_Dovecot_s_IN_USE_refusal_and_a_QUIT_frees_the_slot()
    {
        // Limit 1: POP3's own mailbox lock would refuse a second session of the user anyway, after this check.
        await using var host = Pop3TestHost.Start(maxUserIpConnections: 1);
        await using var first = await RawPop3Client.ConnectAsync(host.Port);
        Assert.StartsWith("+OK", await first.CommandAsync("USER alice"));
        Assert.Equal("+OK Logged in.", await first.CommandAsync("PASS secret"));

        await using (var second = await RawPop3Client.ConnectAsync(host.Port))
        {
            Assert.StartsWith("+OK", await second.CommandAsync("USER alice"));
            Assert.Equal("-ERR [IN-USE] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=1)", await second.CommandAsync("PASS secret"));
            Assert.Equal("", await second.ReadLineAsync());
        }
        Assert.Contains("pop3-login: Disconnected: Maximum number of connections from user+IP exceeded (mail_max_userip_connections=1): user=<alice>, method=PLAIN",
            host.WaitForLog("mail_max_userip_connections=1"));
        await using (var bob = await RawPop3Client.ConnectAsync(host.Port))
        {
            Assert.StartsWith("+OK", await bob.CommandAsync("USER bob"));
            Assert.Equal("+OK Logged in.", await bob.CommandAsync("PASS secret"));
        }
        Assert.StartsWith("+OK", await first.CommandAsync("STAT"));

        Assert.StartsWith("+OK", await first.CommandAsync("QUIT"));
        Assert.Equal("", await first.ReadLineAsync());
        await using var third = await RawPop3Client.ConnectAsync(host.Port);
        Assert.StartsWith("+OK", await third.CommandAsync("USER alice"));
        Assert.Equal("+OK Logged in.", await third.CommandAsync("PASS secret"));
    }

    [Fact]
    public async Task Garbage_bytes_and_a_failed_TLS_handshake_do_not_stop_the_server()
    {
        await using var host = Pop3TestHost.Start();
        var random = new Random(1939);
        for (var round = 0; round < 20; round++)
        {
            var bytes = new byte[random.Next(1, 20_000)];
            random.NextBytes(bytes);
            foreach (var port in new[] { host.Port, host.TlsPort })
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                try
                {
                    await tcp.GetStream().WriteAsync(bytes);
                    await tcp.GetStream().WriteAsync("\r\nQUIT\r\n"u8.ToArray());
                }
                catch (IOException)
                {
                    // The server may close first; that is an answer too.
                }
            }
        }
        await using var pop = await RawPop3Client.LoginAsync(host.Port);
        Assert.StartsWith("+OK 0 0", await pop.CommandAsync("STAT"));
    }

    private static string Plain(string user, string password) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
}
