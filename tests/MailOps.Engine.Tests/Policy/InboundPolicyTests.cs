using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailOps.Engine.Configuration;
using MailOps.Engine.Tests.Server;
using MailOps.Engine.Tests.Smtp;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Tests.TestSupport;
using MimeKit;

namespace MailOps.Engine.Tests.Policy;

/// <summary>
/// The inbound policy of a real server on 127.0.0.x, asking the fixture nsd: rate limits, a DNS blocklist, forged
/// Authentication-Results, verdict lines in the log, the delay after a failed AUTH, BDAT content checks and
/// forward-confirmed client names, each as a client and a log reader (pflogsumm) see them.
/// </summary>
[Collection(FixtureDnsCollection.Name)]
public sealed class InboundPolicyTests(FixtureDns dns) : IDisposable
{
    private readonly TestMailSite _site = new();

    public void Dispose() => _site.Dispose();

    private async Task<MailServer> StartAsync(MailLimitsConfig? limits = null, IReadOnlyList<string>? blocklists = null, bool exemptLoopback = false,
        bool plaintextAuth = false)
    {
        _site.AddUser("alice");
        // No mynetworks unless asked: loopback clients are strangers, as the Internet's clients are.
        var config = _site.Config(myNetworks: exemptLoopback ? null : [], nameServers: [dns.Server.Endpoint], limits: limits, blocklists: blocklists,
            allowPlaintextAuthOnLoopback: plaintextAuth);
        return await MailServer.StartAsync(config, $"policy-{Guid.NewGuid():N}");
    }

    private static async Task<(int ExitCode, string Output)> PythonAsync(string script, params string[] arguments)
    {
        var (exit, output, error) = await ExternalProgram.RunAsync("/usr/bin/python3", ["-c", script, .. arguments]);
        return (exit, output + error);
    }

    /// <summary>Sends messages from <paramref name="from"/> over <paramref name="client"/> until one is refused; returns the refusal and how many went through.</summary>
    private static async Task<(SmtpCommandException Refusal, int Sent)> SendUntilRefusedAsync(SmtpClient client, string from)
    {
        for (var sent = 0; sent < 10; sent++)
        {
            try { await client.SendAsync(RealClientTests.Message(from, "alice@example.test", $"message {sent + 1}")); }
            catch (SmtpCommandException refusal) { return (refusal, sent); }
        }
        throw new Xunit.Sdk.XunitException("ten messages went through");
    }

    [Fact]
    public async Task The_connection_over_the_rate_limit_gets_421_and_a_warning_that_pflogsumm_lists()
    {
        await using var server = await StartAsync(new MailLimitsConfig { ClientConnectionRateLimit = 2 });
        var (exit, output) = await PythonAsync("""
            import smtplib, sys
            for i in range(3):
                try:
                    s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
                    print('greeted', s.ehlo('python.test')[0])
                    s.quit()
                except smtplib.SMTPConnectError as e:
                    print('refused', e.smtp_code, e.smtp_error.decode())
            """, _site.MtaPort.ToString());
        Assert.True(exit == 0, output);
        Assert.Equal(2, Regex.Matches(output, "greeted 250").Count);
        Assert.Contains("refused 421 4.7.0 mx.example.test Error: too many connections from 127.0.0.1", output);

        var log = server.WaitForLog(l => Regex.Matches(l, "disconnect from").Count == 3, "three sessions");
        await server.StopAsync(TimeSpan.FromSeconds(5));
        Assert.Matches(@"mailops/smtpd\[\d+\]: warning: Connection rate limit exceeded: 3 from unknown\[127\.0\.0\.1\] for service smtp\n", log);
        var report = Pflogsumm.Report(server.LogPath);
        Assert.Matches(@"smtpd \(total: 1\)\s+1\s+Connection rate limit exceeded: 3 from unknown\[127\.0\.0\.1\]", report);
    }

    [Fact]
    public async Task Mynetworks_is_exempt_from_the_rate_limits_by_default_as_in_Postfix()
    {
        await using var server = await StartAsync(new MailLimitsConfig { ClientConnectionRateLimit = 1, ClientMessageRateLimit = 1 }, exemptLoopback: true);
        for (var i = 0; i < 3; i++)
        {
            await using var client = await RawSmtpClient.ConnectAsync(_site.MtaPort);
            Assert.StartsWith("220 ", await client.ReadReplyAsync());
            Assert.StartsWith("250", await client.CommandAsync("EHLO client.test"));
            Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<a@remote.test>"));
            Assert.StartsWith("250 2.0.0", await client.CommandAsync("RSET"));
            Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<a@remote.test>"));
        }
        Assert.DoesNotContain("rate limit exceeded", server.ReadLog());
    }

    [Fact]
    public async Task The_message_over_the_client_message_rate_gets_450_4_7_1_and_the_warning()
    {
        await using var server = await StartAsync(new MailLimitsConfig { ClientMessageRateLimit = 2 });
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", _site.MtaPort, SecureSocketOptions.None);
        var (refused, sent) = await SendUntilRefusedAsync(client, "bob@remote.test");
        Assert.Equal(2, sent);
        Assert.Equal(450, (int)refused.StatusCode);
        Assert.Contains("Error: too much mail from 127.0.0.1", refused.Message);
        await client.DisconnectAsync(true);

        var log = server.WaitForLog(l => l.Contains("disconnect from"), "the session's end");
        Assert.Matches(@"warning: Message delivery request rate limit exceeded: 3 from unknown\[127\.0\.0\.1\] for service smtp\n", log);
        Assert.Equal(2, Regex.Matches(log, @": client=unknown\[127\.0\.0\.1\]").Count);
    }

    [Fact]
    public async Task The_recipient_over_the_client_recipient_rate_gets_450_4_7_1_and_the_others_are_delivered()
    {
        await using var server = await StartAsync(new MailLimitsConfig { ClientRecipientRateLimit = 2 });
        var (exit, output) = await PythonAsync("""
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
            s.ehlo('python.test')
            print(s.sendmail('bob@remote.test', ['alice@example.test', 'alice@example.test', 'alice@example.test'], 'Subject: three\r\n\r\nhello\r\n'))
            s.quit()
            """, _site.MtaPort.ToString());
        Assert.True(exit == 0, output);
        Assert.Contains("(450, b'4.7.1 Error: too many recipients from 127.0.0.1')", output);
        var log = server.WaitForLog(l => l.Contains("disconnect from"), "the session's end");
        Assert.Matches(@"warning: Recipient address rate limit exceeded: 3 from unknown\[127\.0\.0\.1\] for service smtp\n", log);
    }

    [Fact]
    public async Task An_authenticated_user_over_the_message_rate_gets_450_on_any_address()
    {
        await using var server = await StartAsync(new MailLimitsConfig { SaslUserMessageRateLimit = 1 });
        using var client = new SmtpClient();
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync("127.0.0.1", _site.SubmissionPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("alice@example.test", "secret");
        var (refused, sent) = await SendUntilRefusedAsync(client, "alice@example.test");
        Assert.Equal(1, sent);
        Assert.Equal(450, (int)refused.StatusCode);
        Assert.Contains("Error: too much mail from alice@example.test", refused.Message);
        await client.DisconnectAsync(true);

        var log = server.WaitForLog(l => l.Contains("disconnect from"), "the session's end");
        Assert.Matches(@"warning: SASL user message rate limit exceeded: 2 by sasl_username=alice@example\.test from unknown\[127\.0\.0\.1\] for service submission\n", log);
    }

    [Fact]
    public async Task A_client_on_the_blocklist_gets_554_at_RCPT_and_pflogsumm_counts_the_reject_while_an_unlisted_client_is_accepted()
    {
        await using var server = await StartAsync(blocklists: ["zen.bl.test"]);
        // 127.0.0.2 is every list's test entry (RFC 5782 5); the client binds it on loopback.
        var (exit, output) = await ExternalProgram.RunForOutputAsync("swaks", "--server", $"127.0.0.1:{_site.MtaPort}", "--local-interface", "127.0.0.2",
            "--helo", "listed.test", "--from", "spammer@remote.test", "--to", "alice@example.test");
        Assert.NotEqual(0, exit);
        Assert.Contains("554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.bl.test; test entry (RFC 5782 5)", output);

        var (python, pythonOutput) = await PythonAsync("""
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), source_address=('127.0.0.1', 0))
            s.ehlo('clean.test')
            print('refused:', s.sendmail('friend@remote.test', ['alice@example.test'], 'Subject: clean\r\n\r\nhello\r\n'))
            s.quit()
            """, _site.MtaPort.ToString());
        Assert.True(python == 0, pythonOutput);
        Assert.Contains("refused: {}", pythonOutput);

        var log = server.WaitForLog(l => l.Contains("status=sent") && Regex.Matches(l, "disconnect from").Count == 2, "the clean message delivered");
        await server.StopAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("NOQUEUE: reject: RCPT from unknown[127.0.0.2]: 554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.bl.test; " +
            "test entry (RFC 5782 5); from=<spammer@remote.test> to=<alice@example.test> proto=ESMTP helo=<listed.test>\n", log);
        var report = Pflogsumm.Report(server.LogPath);
        Assert.Equal(1, Pflogsumm.GrandTotal(report, "rejected"));
        Assert.Equal(1, Pflogsumm.GrandTotal(report, "received"));
        Assert.Contains("blocked using zen.bl.test", report);
    }

    [Fact]
    public async Task A_forged_Authentication_Results_with_our_authserv_id_is_removed_and_a_foreign_one_is_kept()
    {
        await using var server = await StartAsync();
        const string data =
            "Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=ceo@pass.policy.test\r\n" +
            "Authentication-Results: (folded and commented) MX.Example.Test;\r\n\tdkim=pass header.d=pass.policy.test\r\n" +
            "Authentication-Results: relay.other.test; spf=pass smtp.mailfrom=ceo@pass.policy.test\r\n" +
            "From: <ceo@pass.policy.test>\r\nTo: <alice@example.test>\r\nSubject: trust me\r\n\r\nPay the invoice.\r\n";
        var dataFile = Path.Combine(_site.DataPath, "forged.eml");
        await File.WriteAllTextAsync(dataFile, data.Replace("\r\n", "\n"));
        var (exit, output) = await ExternalProgram.RunForOutputAsync("swaks", "--server", $"127.0.0.1:{_site.MtaPort}", "--helo", "sender.test",
            "--from", "ceo@pass.policy.test", "--to", "alice@example.test", "--data", "@" + dataFile);
        Assert.True(exit == 0, output);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1, "alice has the message");

        var headers = HeaderList.Load(Assert.Single(_site.MessagesOf("alice")));
        var results = headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => h.Value.Trim()).ToArray();
        Assert.Equal(2, results.Length);
        // Ours, added by the server, first; the other server's kept; neither forged one left.
        Assert.StartsWith("mx.example.test;", results[0]);
        Assert.Contains("dmarc=pass", results[0]);
        Assert.StartsWith("relay.other.test; spf=pass", results[1]);
        Assert.Equal("trust me", headers[HeaderId.Subject]);
    }

    [Fact]
    public async Task The_log_holds_the_SPF_DKIM_and_DMARC_verdicts_and_pflogsumm_counts_a_DMARC_reject_a_refused_size_and_a_quarantine()
    {
        await using var server = await StartAsync(new MailLimitsConfig { MessageSizeLimit = 2000 });
        var (exit, output) = await PythonAsync("""
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
            s.ehlo('python.test')
            del s.esmtp_features['size']  # no SIZE= at MAIL: the limit must bite while the data arrives
            print('pass:', s.sendmail('news@pass.policy.test', ['alice@example.test'], 'From: <news@pass.policy.test>\r\nSubject: fine\r\n\r\nhello\r\n'))
            try:
                s.sendmail('boss@forged.policy.test', ['alice@example.test'], 'From: <boss@forged.policy.test>\r\nSubject: forged\r\n\r\nhello\r\n')
            except smtplib.SMTPDataError as e:
                print('forged:', e.smtp_code, e.smtp_error.decode())
            print('quarantined:', s.sendmail('promo@quarantined.policy.test', ['alice@example.test'], 'From: <promo@quarantined.policy.test>\r\nSubject: promo\r\n\r\nhello\r\n'))
            try:
                s.sendmail('news@pass.policy.test', ['alice@example.test'], 'From: <news@pass.policy.test>\r\nSubject: big\r\n\r\n' + 'x' * 70 + ('\r\n' + 'x' * 70) * 40)
            except smtplib.SMTPDataError as e:
                print('big:', e.smtp_code, e.smtp_error.decode())
            s.quit()
            """, _site.MtaPort.ToString());
        Assert.True(exit == 0, output);
        Assert.Contains("pass: {}", output);
        Assert.Contains("forged: 550 5.7.1 Email rejected per DMARC policy for forged.policy.test", output);
        Assert.Contains("big: 552 5.3.4 Error: message file too big", output);
        Assert.Contains("quarantined: {}", output);

        var log = server.WaitForLog(l => l.Contains("status=sent") && l.Contains("disconnect from"), "the passing message delivered");
        await server.StopAsync(TimeSpan.FromSeconds(5));
        var passId = Regex.Match(log, @"mailops/opendmarc\[\d+\]: (\w+): pass\.policy\.test pass\n").Groups[1].Value;
        Assert.NotEmpty(passId);
        Assert.Matches($@"mailops/policyd-spf\[\d+\]: {passId}: Received-SPF: Pass \(mailfrom\) identity=mailfrom; client-ip=127\.0\.0\.1; helo=python\.test; envelope-from=news@pass\.policy\.test; receiver=mx\.example\.test\n", log);
        Assert.Matches($@"mailops/opendkim\[\d+\]: {passId}: no signature data\n", log);
        var forgedId = Regex.Match(log, @"mailops/opendmarc\[\d+\]: (\w+): forged\.policy\.test fail\n").Groups[1].Value;
        Assert.NotEmpty(forgedId);
        Assert.Matches($@"mailops/policyd-spf\[\d+\]: {forgedId}: Received-SPF: Fail \(mailfrom\)", log);
        Assert.Contains($"{forgedId}: reject: END-OF-MESSAGE from unknown[127.0.0.1]: 550 5.7.1 Email rejected per DMARC policy for forged.policy.test; " +
            "from=<boss@forged.policy.test> to=<alice@example.test> proto=ESMTP helo=<python.test>\n", log);
        Assert.Matches(@": reject: END-OF-MESSAGE from unknown\[127\.0\.0\.1\]: 552 5\.3\.4 Error: message file too big; from=<news@pass\.policy\.test> to=<alice@example\.test>", log);
        Assert.Matches(@"mailops/cleanup\[\d+\]: \w+: hold: END-OF-MESSAGE from unknown\[127\.0\.0\.1\]: Email quarantined per DMARC policy for quarantined\.policy\.test; " +
            @"from=<promo@quarantined\.policy\.test> to=<alice@example\.test> proto=ESMTP helo=<python\.test>\n", log);
        Assert.Single(_site.Queue.List(MailOps.Engine.Queue.QueueState.Hold));

        var report = Pflogsumm.Report(server.LogPath);
        Assert.Equal(2, Pflogsumm.GrandTotal(report, "rejected"));
        Assert.Equal(4, Pflogsumm.GrandTotal(report, "received"));
        Assert.Equal(1, Pflogsumm.GrandTotal(report, "held"));
        Assert.Equal(1, Pflogsumm.GrandTotal(report, "delivered"));
        // pflogsumm files both under the stage they were refused at.
        Assert.Matches(@"message reject detail\n-+\n  END-OF-MESSAGE\n", report);
    }

    [Fact]
    public async Task A_failed_AUTH_is_answered_only_after_the_delay_while_another_session_is_served_meanwhile()
    {
        var delay = TimeSpan.FromSeconds(2);
        await using var server = await StartAsync(new MailLimitsConfig { AuthFailureDelay = delay }, plaintextAuth: true);
        await using var guesser = await RawSmtpClient.ConnectAndHelloAsync(_site.SubmissionPort);
        var wrong = Convert.ToBase64String("\0alice@example.test\0wrong"u8.ToArray());
        var clock = Stopwatch.StartNew();
        var refusal = guesser.CommandAsync("AUTH PLAIN " + wrong);

        // Another client is greeted and served while the guesser waits.
        await using (var other = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort))
        {
            Assert.StartsWith("250 2.0.0", await other.CommandAsync("NOOP"));
            Assert.False(refusal.IsCompleted, "the 535 came before the other session's replies");
        }

        Assert.StartsWith("535 5.7.8", await refusal);
        Assert.True(clock.Elapsed >= delay, $"535 after {clock.Elapsed}, before the {delay} delay");
        var right = Convert.ToBase64String("\0alice@example.test\0secret"u8.ToArray());
        Assert.StartsWith("235 2.7.0", await guesser.CommandAsync("AUTH PLAIN " + right));
    }

    [Fact]
    public async Task BDAT_chunks_with_a_bare_LF_or_a_NUL_are_refused_as_DATA_is_and_logged_as_rejects_while_a_CRLF_split_across_chunks_is_fine()
    {
        await using var server = await StartAsync();
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort);

        async Task<string> SendChunksAsync(params string[] chunks)
        {
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<bob@remote.test>"));
            Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<alice@example.test>"));
            string reply = "";
            for (var i = 0; i < chunks.Length; i++)
            {
                var bytes = System.Text.Encoding.ASCII.GetBytes(chunks[i]);
                await client.SendAsync($"BDAT {bytes.Length}{(i == chunks.Length - 1 ? " LAST" : "")}\r\n");
                await client.SendAsync(bytes);
                reply = await client.ReadReplyAsync();
                if (!reply.StartsWith("250")) return reply;
            }
            return reply;
        }

        Assert.StartsWith("550 5.6.0 Error: bare <CR> or <LF>", await SendChunksAsync("Subject: smuggled\r\n\r\nline\n.\r\nMAIL FROM:<x@y>\r\n"));
        Assert.StartsWith("550 5.6.0 Error: NUL", await SendChunksAsync("Subject: nul\r\n\r\nbad\0byte\r\n"));
        Assert.StartsWith("250 2.0.0 Ok: queued as", await SendChunksAsync("Subject: split\r\n\r\nfirst line\r", "\nsecond line\r\n"));
        await client.CommandAsync("QUIT");

        var log = server.WaitForLog(l => l.Contains("disconnect from"), "the session's end");
        Assert.Equal(2, Regex.Matches(log, @"\w+: reject: END-OF-MESSAGE from unknown\[127\.0\.0\.1\]: 550 5\.6\.0 ").Count);
    }

    [Fact]
    public async Task A_client_with_forward_confirmed_reverse_DNS_is_named_in_Received_and_the_log_and_an_unconfirmed_one_is_unknown()
    {
        await using var server = await StartAsync();
        foreach (var source in new[] { "127.0.0.3", "127.0.0.4" })
        {
            var (exit, output) = await PythonAsync("""
                import smtplib, sys
                s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), source_address=(sys.argv[2], 0))
                s.ehlo('helo.test')
                print('refused:', s.sendmail('bob@remote.test', ['alice@example.test'], 'Subject: from ' + sys.argv[2] + '\r\n\r\nhello\r\n'))
                s.quit()
                """, _site.MtaPort.ToString(), source);
            Assert.True(exit == 0, output);
        }
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 2, "alice has both messages");

        var received = _site.MessagesOf("alice").Select(f => HeaderList.Load(f)).ToDictionary(h => h[HeaderId.Subject]!, h => h[HeaderId.Received]!);
        Assert.StartsWith("from helo.test (client3.rdns.test [127.0.0.3])", received["from 127.0.0.3"]);
        Assert.StartsWith("from helo.test (unknown [127.0.0.4])", received["from 127.0.0.4"]);
        var log = server.ReadLog();
        Assert.Contains("connect from client3.rdns.test[127.0.0.3]\n", log);
        Assert.Matches(@"\w+: client=client3\.rdns\.test\[127\.0\.0\.3\]\n", log);
        Assert.Contains("connect from unknown[127.0.0.4]\n", log);
    }

    [Fact]
    public async Task With_the_system_resolver_a_client_listed_in_etc_hosts_is_named_from_it_without_asking_DNS()
    {
        // 127.0.0.1 is "localhost" in Debian's /etc/hosts; nothing in this test may ask the machine's DNS servers.
        Assert.Equal("localhost", MailOps.Dns.HostsFile.System.NameOf(IPAddress.Loopback));
        _site.AddUser("alice");
        var config = _site.Config(nameServers: []);   // no servers: the system resolver
        await using var server = await MailServer.StartAsync(config, $"policy-{Guid.NewGuid():N}");
        var (exit, output) = await PythonAsync("""
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), source_address=('127.0.0.1', 0))
            s.ehlo('helo.test')
            s.sendmail('bob@example.test', ['alice@example.test'], 'Subject: from localhost\r\n\r\nhello\r\n')
            s.quit()
            """, _site.MtaPort.ToString());
        Assert.True(exit == 0, output);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1, "alice has the message");
        Assert.StartsWith("from helo.test (localhost [127.0.0.1])", HeaderList.Load(_site.MessagesOf("alice")[0])[HeaderId.Received]);
        Assert.Contains("connect from localhost[127.0.0.1]\n", server.ReadLog());
    }
}
