using System.Text;
using MailOps.Engine.Listeners;
using MailOps.Engine.Queue;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>Raw-socket conversations: exact reply codes for sequences, syntax, policy, TLS and AUTH.</summary>
public sealed class SmtpProtocolTests
{
    private static string Code(string reply) => reply.Length >= 9 ? reply[..9] : reply;

    [Fact]
    public async Task Bytes_pipelined_after_STARTTLS_are_thrown_away_not_answered_inside_TLS()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        // CVE-2011-0411: a man in the middle appends RSET to the plaintext STARTTLS.
        await client.SendAsync("STARTTLS\r\nRSET\r\n");
        Assert.Equal("220 2.0.0 Ready to start TLS", await client.ReadReplyAsync());
        await client.UpgradeToTlsAsync();
        await client.SendAsync("EHLO after.test\r\n");
        string first = await client.ReadReplyAsync();
        Assert.StartsWith("250-mx.local.test", first); // not "250 2.0.0 Ok" for the injected RSET
        Assert.DoesNotContain("STARTTLS", first);
        Assert.Contains("AUTH PLAIN LOGIN", first);
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task STARTTLS_forgets_the_EHLO_and_a_second_STARTTLS_gets_503()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        Assert.StartsWith("220 2.0.0", await client.CommandAsync("STARTTLS"));
        await client.UpgradeToTlsAsync();
        Assert.Equal("503 5.5.1", Code(await client.CommandAsync("MAIL FROM:<a@remote.test>")));
        Assert.Equal("503 5.5.1", Code(await client.CommandAsync("STARTTLS")));
    }

    [Fact]
    public async Task AUTH_is_neither_offered_nor_accepted_before_TLS()
    {
        await using var server = TestServer.Start(SmtpListenerKind.Submission);
        await using var client = await RawSmtpClient.ConnectAsync(server.Port);
        await client.ReadReplyAsync();
        string ehlo = await client.CommandAsync("EHLO c.test");
        Assert.DoesNotContain("AUTH", ehlo);
        Assert.Contains("STARTTLS", ehlo);
        string plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice@local.test\0secret"));
        Assert.StartsWith("538 5.7.11 ", await client.CommandAsync($"AUTH PLAIN {plain}"));
        Assert.Equal("530 5.7.0", Code(await client.CommandAsync("MAIL FROM:<alice@local.test>")));
    }

    [Fact]
    public async Task Plaintext_AUTH_on_loopback_works_only_when_allowed_and_a_wrong_password_gets_535()
    {
        await using var server = TestServer.Start(SmtpListenerKind.Submission, s => s with { AllowPlaintextAuthOnLoopback = true });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        string wrong = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice@local.test\0nope"));
        Assert.Equal("535 5.7.8", Code(await client.CommandAsync($"AUTH PLAIN {wrong}")));
        Assert.Equal("334 ", await client.CommandAsync("AUTH PLAIN"));
        string right = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice@local.test\0secret"));
        Assert.Equal("235 2.7.0", Code(await client.CommandAsync(right)));
        Assert.Equal("503 5.5.1", Code(await client.CommandAsync($"AUTH PLAIN {right}")));
        Assert.Equal("250 2.1.0", Code(await client.CommandAsync("MAIL FROM:<alice@local.test>")));
    }

    [Fact]
    public async Task Mail_for_a_foreign_domain_from_an_unauthenticated_outsider_gets_Relay_access_denied()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<spammer@remote.test>");
        string reply = await client.CommandAsync("RCPT TO:<victim@far-away.example>");
        Assert.Equal("554 5.7.1 <victim@far-away.example>: Relay access denied", reply);
    }

    [Fact]
    public async Task Clients_in_mynetworks_may_relay()
    {
        await using var server = TestServer.Start(myNetworks: ["10.0.0.0/8", "127.0.0.0/8"]);
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<app@local.test>");
        Assert.Equal("250 2.1.5", Code(await client.CommandAsync("RCPT TO:<someone@far-away.example>")));
    }

    [Fact]
    public async Task An_unknown_local_user_gets_550_5_1_1_and_known_ones_250()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<a@remote.test>");
        Assert.Equal("550 5.1.1", Code(await client.CommandAsync("RCPT TO:<nobody@local.test>")));
        Assert.Equal("250 2.1.5", Code(await client.CommandAsync("RCPT TO:<Alice@LOCAL.test>")));
    }

    [Fact]
    public async Task A_whole_pipelined_transaction_in_one_packet_gets_every_reply_in_order()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAsync(server.Port);
        await client.ReadReplyAsync();
        await client.SendAsync("EHLO pipe.test\r\nMAIL FROM:<p@remote.test>\r\nRCPT TO:<alice@local.test>\r\nRCPT TO:<nobody@local.test>\r\nRCPT TO:<bob@local.test>\r\nDATA\r\n");
        Assert.Contains("PIPELINING", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.0", Code(await client.ReadReplyAsync()));
        Assert.Equal("250 2.1.5", Code(await client.ReadReplyAsync()));
        Assert.Equal("550 5.1.1", Code(await client.ReadReplyAsync()));
        Assert.Equal("250 2.1.5", Code(await client.ReadReplyAsync()));
        Assert.StartsWith("354 ", await client.ReadReplyAsync());
        await client.SendAsync("Subject: pipelined\r\n\r\n..dot\r\n.\r\nNOOP\r\nQUIT\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.ReadReplyAsync());
        Assert.StartsWith("221 2.0.0", await client.ReadReplyAsync());
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal(["alice@local.test", "bob@local.test"], envelope.Recipients.Select(r => r.Address));
        Assert.EndsWith("Subject: pipelined\r\n\r\n.dot\r\n", server.Content(envelope.QueueId));
    }

    [Fact]
    public async Task BDAT_chunks_are_stored_byte_for_byte_including_BDAT_0_LAST()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<c@remote.test> BODY=BINARYMIME");
        await client.CommandAsync("RCPT TO:<alice@local.test>");
        Assert.Equal("503 5.5.1", Code(await client.CommandAsync("DATA"))); // BINARYMIME needs BDAT
        await client.SendAsync("BDAT 21\r\nSubject: chunk\r\n\r\n.\r\nBDAT 6\r\nbody\r\n");
        Assert.Equal("250 2.0.0 Ok: 21 octets received", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok: 6 octets received", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.CommandAsync("BDAT 0 LAST"));
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.EndsWith("\r\nSubject: chunk\r\n\r\n.\r\nbody\r\n", server.Content(envelope.QueueId));
        Assert.Equal("BINARYMIME", envelope.Body);
    }

    [Fact]
    public async Task BDAT_without_a_transaction_gets_503_and_its_octets_are_not_read_as_commands()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.SendAsync("BDAT 6 LAST\r\nQUIT\r\n");
        Assert.Equal("503 5.5.1", Code(await client.ReadReplyAsync()));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task BDAT_over_the_size_limit_gets_552_and_nothing_is_queued()
    {
        await using var server = TestServer.Start(session: s => s with { MaxMessageSize = 100 });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<c@remote.test>");
        await client.CommandAsync("RCPT TO:<alice@local.test>");
        Assert.Equal("552 5.3.4", Code(await client.CommandAsync("BDAT 500 LAST\r\n" + new string('x', 498))));
        Assert.Empty(await server.IncomingAsync());
        Assert.Empty(Directory.GetFiles(server.Queue.DirectoryOf(QueueState.Incoming)));
    }

    [Theory]
    [InlineData("hello\n.\nMAIL FROM:<evil@remote.test>\r\n", "bare LF: the SMTP smuggling payload")]
    [InlineData("hello\r\n.\nMAIL FROM:<evil@remote.test>\r\n", "dot then bare LF")]
    [InlineData("hello\r.\r\n", "bare CR")]
    [InlineData("nul \0 byte\r\n", "NUL")]
    public async Task Message_data_with_bare_newlines_or_NUL_gets_550_5_6_0_and_is_not_queued(string body, string why)
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<a@remote.test>");
        await client.CommandAsync("RCPT TO:<alice@local.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: smuggle\r\n\r\n" + body + ".\r\nNOOP\r\n");
        Assert.True("550 5.6.0" == Code(await client.ReadReplyAsync()), why);
        Assert.Equal("250 2.0.0 Ok", await client.ReadReplyAsync()); // one reply for the data, then the NOOP
        Assert.Empty(await server.IncomingAsync());
    }

    [Fact]
    public async Task Bare_LF_in_data_is_stored_as_CRLF_when_the_setting_allows_it()
    {
        await using var server = TestServer.Start(session: s => s with { RejectBareNewlineInData = false });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<a@remote.test>");
        await client.CommandAsync("RCPT TO:<alice@local.test>");
        await client.CommandAsync("DATA");
        Assert.StartsWith("250 2.0.0 Ok: queued", await client.CommandAsync("Subject: lf\n\nline one\nline two\r\n."));
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.EndsWith("Subject: lf\r\n\r\nline one\r\nline two\r\n", server.Content(envelope.QueueId));
    }

    [Fact]
    public async Task A_command_ending_in_bare_LF_gets_500_5_5_2_unless_allowed()
    {
        await using (var server = TestServer.Start())
        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port))
        {
            await client.SendAsync("NOOP\n");
            Assert.Equal("500 5.5.2", Code(await client.ReadReplyAsync()));
        }

        await using (var server = TestServer.Start(session: s => s with { AcceptBareLineFeedInCommands = true }))
        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port))
        {
            await client.SendAsync("NOOP\n");
            Assert.Equal("250 2.0.0 Ok", await client.ReadReplyAsync());
        }
    }

    [Theory]
    [InlineData(511)]
    [InlineData(100_000)]
    public async Task A_command_line_over_512_octets_gets_500_5_5_6_and_the_session_goes_on(int length)
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        Assert.Equal("500 5.5.6", Code(await client.CommandAsync("NOOP " + new string('a', length - 5))));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP " + new string('a', 505 - 5)));
    }

    [Fact]
    public async Task A_text_line_over_1000_octets_gets_500_5_5_6()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<a@remote.test>");
        await client.CommandAsync("RCPT TO:<alice@local.test>");
        await client.CommandAsync("DATA");
        Assert.Equal("500 5.5.6", Code(await client.CommandAsync("Subject: long\r\n\r\n" + new string('x', 999) + "\r\n.")));
        Assert.Empty(await server.IncomingAsync());
    }

    [Fact]
    public async Task A_declared_SIZE_over_the_limit_gets_552_at_MAIL()
    {
        await using var server = TestServer.Start(session: s => s with { MaxMessageSize = 1000 });
        await using var client = await RawSmtpClient.ConnectAsync(server.Port);
        await client.ReadReplyAsync();
        Assert.Contains("250-SIZE 1000", await client.CommandAsync("EHLO c.test"));
        Assert.Equal("552 5.3.4", Code(await client.CommandAsync("MAIL FROM:<a@remote.test> SIZE=1001")));
        Assert.Equal("250 2.1.0", Code(await client.CommandAsync("MAIL FROM:<a@remote.test> SIZE=1000")));
    }

    [Fact]
    public async Task A_message_growing_past_the_limit_during_DATA_gets_552_and_leaves_no_file()
    {
        await using var server = TestServer.Start(session: s => s with { MaxMessageSize = 1000 });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<a@remote.test>");
        await client.CommandAsync("RCPT TO:<alice@local.test>");
        await client.CommandAsync("DATA");
        string line = new string('y', 78) + "\r\n";
        await client.SendAsync(string.Concat(Enumerable.Repeat(line, 2000)));
        Assert.Equal("552 5.3.4", Code(await client.CommandAsync(".")));
        Assert.Empty(Directory.GetFiles(server.Queue.DirectoryOf(QueueState.Incoming)));
        Assert.Equal("250 2.1.0", Code(await client.CommandAsync("MAIL FROM:<a@remote.test>"))); // transaction was reset
    }

    [Fact]
    public async Task The_recipient_after_the_limit_gets_452_4_5_3()
    {
        await using var server = TestServer.Start(session: s => s with { MaxRecipients = 2 });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<a@remote.test>");
        Assert.Equal("250 2.1.5", Code(await client.CommandAsync("RCPT TO:<alice@local.test>")));
        Assert.Equal("250 2.1.5", Code(await client.CommandAsync("RCPT TO:<bob@local.test>")));
        Assert.Equal("452 4.5.3", Code(await client.CommandAsync("RCPT TO:<alice@local.test>")));
    }

    [Theory]
    [InlineData("RCPT TO:<alice@local.test>", "503 5.5.1")]
    [InlineData("DATA", "503 5.5.1")]
    [InlineData("BOGUS", "500 5.5.1")]
    [InlineData("MAIL TO:<a@remote.test>", "501 5.5.2")]
    [InlineData("MAIL FROM:a@remote.test", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@remote.test> FOO=BAR", "555 5.5.4")]
    [InlineData("MAIL FROM:<ü@remote.test>", "553 5.6.7")]
    [InlineData("VRFY alice@local.test", "252 2.5.2")]
    [InlineData("HELP", "214 2.0.0")]
    [InlineData("EHLO", "501 5.5.2")]
    public async Task Commands_out_of_sequence_or_malformed_get_their_exact_reply(string command, string expected)
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        Assert.Equal(expected, Code(await client.CommandAsync(command)));
    }

    [Fact]
    public async Task MAIL_before_EHLO_and_a_nested_MAIL_get_503_and_DATA_without_recipients_554()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAsync(server.Port);
        await client.ReadReplyAsync();
        Assert.Equal("503 5.5.1", Code(await client.CommandAsync("MAIL FROM:<a@remote.test>")));
        await client.CommandAsync("HELO c.test");
        Assert.Equal("250 2.1.0", Code(await client.CommandAsync("MAIL FROM:<>")));
        Assert.Equal("503 5.5.1", Code(await client.CommandAsync("MAIL FROM:<a@remote.test>")));
        Assert.Equal("554 5.5.1", Code(await client.CommandAsync("DATA")));
    }

    [Fact]
    public async Task SMTPUTF8_addresses_and_DSN_recipient_parameters_are_kept()
    {
        await using var server = TestServer.Start();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        Assert.Equal("250 2.1.0", Code(await client.CommandAsync("MAIL FROM:<jürgen@remote.test> SMTPUTF8 BODY=8BITMIME RET=FULL ENVID=abc+2Bd")));
        Assert.Equal("250 2.1.5", Code(await client.CommandAsync("RCPT TO:<alice@local.test> NOTIFY=failure,delay ORCPT=rfc822;alice@local.test")));
        await client.CommandAsync("DATA");
        Assert.StartsWith("250 2.0.0 Ok: queued", await client.CommandAsync("Subject: ü\r\n\r\nx\r\n."));
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal("jürgen@remote.test", envelope.Sender);
        Assert.True(envelope.SmtpUtf8);
        Assert.Equal("8BITMIME", envelope.Body);
        Assert.Equal("FULL", envelope.Ret);
        Assert.Equal("abc+2Bd", envelope.EnvelopeId);
        Assert.Equal("FAILURE,DELAY", envelope.Recipients[0].Notify);
        Assert.Equal("rfc822;alice@local.test", envelope.Recipients[0].OriginalRecipient);
    }

    [Fact]
    public async Task An_idle_client_gets_421_4_4_2_after_the_command_timeout()
    {
        await using var server = TestServer.Start(session: s => s with { CommandTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        Assert.Equal("421 4.4.2", Code(await client.ReadReplyAsync()));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task A_client_stalling_in_DATA_gets_421_4_4_2_and_nothing_is_queued()
    {
        await using var server = TestServer.Start(session: s => s with { DataTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await client.CommandAsync("MAIL FROM:<a@remote.test>");
        await client.CommandAsync("RCPT TO:<alice@local.test>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: half\r\n");
        Assert.Equal("421 4.4.2", Code(await client.ReadReplyAsync()));
        Assert.True(await client.IsClosedAsync());
        Assert.Empty(Directory.GetFiles(server.Queue.DirectoryOf(QueueState.Incoming)));
    }

    [Fact]
    public async Task Too_many_errors_end_the_session_with_421_4_7_0()
    {
        await using var server = TestServer.Start(session: s => s with { MaxErrors = 3 });
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        Assert.Equal("500 5.5.1", Code(await client.CommandAsync("X1")));
        Assert.Equal("500 5.5.1", Code(await client.CommandAsync("X2")));
        Assert.Equal("500 5.5.1", Code(await client.CommandAsync("X3")));
        Assert.Equal("421 4.7.0", Code(await client.ReadReplyAsync()));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Garbage_bytes_a_broken_TLS_handshake_and_a_vanished_client_do_not_hurt_the_server()
    {
        await using var server = TestServer.Start(session: s => s with { MaxErrors = 1000 });
        var random = new Random(5321);
        await using (var client = await RawSmtpClient.ConnectAsync(server.Port))
        {
            var garbage = new byte[200_000];
            random.NextBytes(garbage);
            await client.SendAsync(garbage);
            await client.SendAsync("\r\nNOOP\r\n");
        }

        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port))
        {
            Assert.StartsWith("220 ", await client.CommandAsync("STARTTLS"));
            await client.SendAsync("this is not a TLS client hello\r\n\r\n\r\n");
            Assert.True(await client.IsClosedAsync());
        }

        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port))
        {
            await client.CommandAsync("MAIL FROM:<a@remote.test>");
            await client.CommandAsync("RCPT TO:<alice@local.test>");
            await client.CommandAsync("DATA");
            await client.SendAsync("Subject: half a message\r\n");
        } // gone in the middle of DATA

        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port))
        {
            Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        }

        await WaitUntil(() => server.Listener.ActiveSessions == 0);
        Assert.Empty(Directory.GetFiles(server.Queue.DirectoryOf(QueueState.Incoming)));
    }

    [Fact]
    public async Task EHLO_advertises_the_extensions_and_STARTTLS_only_with_a_certificate()
    {
        await using (var server = TestServer.Start())
        await using (var client = await RawSmtpClient.ConnectAsync(server.Port))
        {
            Assert.Equal("220 mx.local.test ESMTP MailOps", await client.ReadReplyAsync());
            string[] lines = (await client.CommandAsync("EHLO c.test")).Split('\n');
            Assert.Equal("250-mx.local.test", lines[0]);
            foreach (string keyword in new[] { "PIPELINING", "SIZE 10240000", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8" })
            {
                Assert.Contains("250-" + keyword, lines);
            }

            Assert.Equal("250 CHUNKING", lines[^1]);
            Assert.DoesNotContain(lines, l => l.Contains("AUTH")); // not before TLS
        }

        await using (var server = TestServer.Start(session: s => s with { Certificate = null }))
        await using (var client = await RawSmtpClient.ConnectAsync(server.Port))
        {
            await client.ReadReplyAsync();
            Assert.DoesNotContain("STARTTLS", await client.CommandAsync("EHLO c.test"));
            Assert.Equal("502 5.5.1", Code(await client.CommandAsync("STARTTLS")));
        }
    }

    [Fact]
    public async Task AUTH_LOGIN_cancelled_with_a_star_gets_501_and_the_log_observer_sees_the_session()
    {
        await using var server = TestServer.Start(session: s => s with { AllowPlaintextAuthOnLoopback = true });
        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(server.Port))
        {
            Assert.Equal("334 VXNlcm5hbWU6", await client.CommandAsync("AUTH LOGIN"));
            Assert.Equal("501 5.7.0", Code(await client.CommandAsync("*")));
            await client.CommandAsync("MAIL FROM:<a@remote.test>");
            await client.CommandAsync("RCPT TO:<nobody@local.test>");
            await client.CommandAsync("RCPT TO:<alice@local.test>");
            await client.CommandAsync("DATA");
            await client.CommandAsync("Subject: logged\r\n\r\nx\r\n.");
            await client.CommandAsync("QUIT");
        }

        await WaitUntil(() => server.Events.All.Any(e => e.Kind == Engine.Smtp.SmtpSessionEventKind.Disconnected));
        var kinds = server.Events.All.Select(e => e.Kind).ToList();
        Assert.Equal(Engine.Smtp.SmtpSessionEventKind.Connected, kinds[0]);
        Assert.Contains(server.Events.All, e => e.Kind == Engine.Smtp.SmtpSessionEventKind.Rejected && e.Text!.StartsWith("550 5.1.1"));
        var queued = Assert.Single(server.Events.All, e => e.Kind == Engine.Smtp.SmtpSessionEventKind.Queued);
        Assert.Equal(queued.Text, queued.Envelope!.QueueId);
        Assert.Equal("client.test", queued.Helo);
        Assert.Equal(Engine.Smtp.SmtpSessionEventKind.Disconnected, kinds[^1]);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }
}
