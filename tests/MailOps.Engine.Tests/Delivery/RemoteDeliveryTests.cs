using MailOps.Tests.TestSupport;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailOps.Engine.Configuration;
using MailOps.Engine.Queue;
using MailOps.Engine.Tests.Server;
using MailOps.Engine.Tests.Smtp;
using MailOps.Engine.Tests.TestSupport;
using MimeKit;

namespace MailOps.Engine.Tests.Delivery;

/// <summary>The zone the remote delivery tests resolve through: MX, implicit MX and null MX for .test domains on 127.0.0.x.</summary>
public sealed class RemoteDeliveryDns : IDisposable
{
    /// <summary>The zone "test".</summary>
    public const string Zone = """
        $ORIGIN test.
        $TTL 60
        @ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
        @ IN NS ns.test.
        ns IN A 127.0.0.1
        dest IN MX 10 mx1.dest.test.
        dest IN MX 20 mx2.dest.test.
        mx1.dest IN A 127.0.0.2
        mx2.dest IN A 127.0.0.3
        fallback IN MX 10 mx1.fallback.test.
        fallback IN MX 20 mx2.fallback.test.
        mx1.fallback IN A 127.0.0.4
        mx2.fallback IN A 127.0.0.5
        implicit IN A 127.0.0.6
        nullmx IN MX 0 .
        postfix IN MX 10 mx.postfix.test.
        mx.postfix IN A 127.0.0.1

        """;

    /// <summary>nsd serving <see cref="Zone"/>.</summary>
    public NsdServer Server { get; } = NsdServer.Start(new Dictionary<string, string> { ["test"] = Zone });

    /// <inheritdoc />
    public void Dispose() => Server.Dispose();
}

/// <summary>
/// Remote delivery of a running <see cref="MailServer"/> to real SMTP servers on 127.0.0.x (Postfix's smtp-sink and
/// Debian's Postfix), found through a real DNS server (nsd): MX order and fallback, retries, bounces.
/// </summary>
public sealed class RemoteDeliveryTests : IClassFixture<RemoteDeliveryDns>, IDisposable
{
    private static readonly MailQueueConfig FastRetries = new()
    {
        MinimalBackoff = TimeSpan.FromMilliseconds(500),
        MaximalBackoff = TimeSpan.FromSeconds(1),
        MaximalLifetime = TimeSpan.FromDays(5),
    };

    private readonly RemoteDeliveryDns _dns;
    private readonly TestMailSite _site = new();
    private readonly int _port = FreePort();
    private readonly List<IDisposable> _peers = [];

    public RemoteDeliveryTests(RemoteDeliveryDns dns)
    {
        _dns = dns;
        _site.AddUser("bob");
    }

    public void Dispose()
    {
        foreach (var peer in _peers) peer.Dispose();
        _site.Dispose();
    }

    [Fact]
    public async Task A_message_for_another_domain_goes_to_its_best_MX_and_arrives_whole_with_its_DSN_parameters()
    {
        using var mx1 = Sink("127.0.0.2");
        using var mx2 = Sink("127.0.0.3");
        await using var server = await StartAsync();

        var id = await SendAsync("bob@example.test", ["carol@dest.test"], "Subject: to carol\r\nMessage-ID: <remote-1@example.test>\r\n\r\nHello Carol.\r\n",
            mailParameters: " RET=HDRS ENVID=env+2B1", rcptParameters: " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;carol@dest.test");

        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "the message removed after delivery");
        Assert.Matches($@"mailops/smtp\[\d+\]: {id}: to=<carol@dest\.test>, orig_to=<carol@dest\.test>, relay=mx1\.dest\.test\[127\.0\.0\.2\]:{_port}, delay=[\d.]+, delays=[\d./]+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok", log);
        var dump = Assert.Single(mx1.Messages());
        Assert.Empty(mx2.Messages());
        Assert.Contains("X-Mail-Args: <bob@example.test>", dump);
        Assert.Contains("RET=HDRS", dump);
        Assert.Contains("ENVID=env+2B1", dump);
        Assert.Contains("NOTIFY=SUCCESS,FAILURE", dump);
        Assert.Contains($"\tby {TestMailSite.Hostname} (MailOps) with ESMTP id {id}", dump);
        Assert.Contains("Subject: to carol\r\nMessage-ID: <remote-1@example.test>\r\n\r\nHello Carol.\r\n", dump.ReplaceLineEndings("\r\n"));
        Assert.Empty(_site.Queued());
    }

    [Fact]
    public async Task When_the_first_MX_refuses_the_connection_the_second_one_gets_the_message()
    {
        using var mx2 = Sink("127.0.0.5"); // mx1.fallback.test (127.0.0.4) has no server
        await using var server = await StartAsync();

        var id = await SendAsync("bob@example.test", ["dave@fallback.test"], "Subject: fallback\r\n\r\nhi\r\n");

        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "delivery through the second MX");
        Assert.Contains($"relay=mx2.fallback.test[127.0.0.5]:{_port}", log);
        Assert.Contains("status=sent", log);
        Assert.Single(mx2.Messages());
    }

    [Fact]
    public async Task A_domain_without_MX_gets_its_mail_at_its_own_address()
    {
        using var host = Sink("127.0.0.6");
        await using var server = await StartAsync();
        var id = await SendAsync("bob@example.test", ["erin@implicit.test"], "Subject: implicit\r\n\r\nhi\r\n");
        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "delivery to the implicit MX");
        Assert.Contains($"relay=implicit.test[127.0.0.6]:{_port}", log);
        Assert.Single(host.Messages());
    }

    [Fact]
    public async Task A_4xx_defers_the_message_with_a_next_attempt_and_a_later_retry_delivers_it()
    {
        var refusing = Sink("127.0.0.2", "-r", "RCPT");
        var mx2Refusing = Sink("127.0.0.3", "-r", "RCPT");
        await using var server = await StartAsync(FastRetries);

        var id = await SendAsync("bob@example.test", ["carol@dest.test"], "Subject: later\r\n\r\nhi\r\n");

        await TestMailSite.WaitUntilAsync(() => _site.Queue.List(QueueState.Deferred).Contains(id), "the message is deferred");
        var envelope = await _site.Queue.ReadEnvelopeAsync(QueueState.Deferred, id, CancellationToken.None);
        Assert.NotNull(envelope.NextAttempt);
        Assert.True(envelope.NextAttempt > envelope.ArrivalTime);
        var recipient = Assert.Single(envelope.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.StartsWith("4.3.0 host mx", recipient.LastResponse);
        Assert.Contains("(in reply to RCPT TO command)", recipient.LastResponse);
        Assert.Matches($@"{id}: to=<carol@dest\.test>, relay=mx2\.dest\.test\[127\.0\.0\.3\]:{_port}, .*dsn=4\.3\.0, status=deferred \(host mx2\.dest\.test\[127\.0\.0\.3\] said: 450 4\.3\.0", _site.Log());

        // The destination recovers: the scheduler moves the message back to active when due, and it goes out.
        refusing.Dispose();
        mx2Refusing.Dispose();
        using var mx1 = Sink("127.0.0.2");
        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "the retry delivers");
        Assert.Contains("status=sent", log);
        Assert.Single(mx1.Messages());
    }

    [Fact]
    public async Task A_5xx_returns_the_message_to_its_sender_as_an_RFC_3464_report()
    {
        using var mx1 = Sink("127.0.0.2", "-f", "RCPT");
        await using var server = await StartAsync();

        var id = await SendAsync("bob@example.test", ["carol@dest.test"], "Subject: refused\r\nMessage-ID: <refused-1@example.test>\r\n\r\nbody text\r\n",
            mailParameters: " RET=HDRS ENVID=track-7", rcptParameters: " ORCPT=rfc822;carol+orig@dest.test");

        var log = server.WaitForLog(l => Regex.IsMatch(l, $@"{id}: sender non-delivery notification: \w+") && l.Contains($"{id}: removed"), "the bounce");
        Assert.Matches($@"mailops/smtp\[\d+\]: {id}: to=<carol@dest\.test>, orig_to=<carol\+orig@dest\.test>, relay=mx1\.dest\.test\[127\.0\.0\.2\]:{_port}, .*dsn=5\.3\.0, status=bounced \(host mx1\.dest\.test\[127\.0\.0\.2\] said: 500 5\.3\.0 Error: command failed \(in reply to RCPT TO command\)\)", log);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("bob").Length == 1, "bob gets the notice");

        var notice = MimeMessage.Load(_site.MessagesOf("bob")[0]);
        Assert.Equal($"MAILER-DAEMON@{TestMailSite.Hostname}", notice.From.Mailboxes.Single().Address);
        Assert.Equal("auto-replied", notice.Headers["Auto-Submitted"]);
        var report = Assert.IsType<MultipartReport>(notice.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal($"dns; {TestMailSite.Hostname}", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal("track-7", status.StatusGroups[0]["Original-Envelope-Id"]);
        Assert.NotNull(status.StatusGroups[0]["Arrival-Date"]);
        var fields = status.StatusGroups[1];
        Assert.Equal("rfc822; carol@dest.test", fields["Final-Recipient"]);
        Assert.Equal("rfc822; carol+orig@dest.test", fields["Original-Recipient"]);
        Assert.Equal("failed", fields["Action"]);
        Assert.Equal("5.3.0", fields["Status"]);
        Assert.Equal("dns; mx1.dest.test", fields["Remote-MTA"]);
        Assert.Equal("smtp; 500 5.3.0 Error: command failed", fields["Diagnostic-Code"]);
        // RET=HDRS: the original's header section, not its body.
        var headers = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("<refused-1@example.test>", headers.Message!.Headers["Message-ID"]);
        Assert.DoesNotContain("body text", headers.Message.ToString());
        // The notice itself came with the null sender: its qmgr line says from=<>.
        var noticeId = Regex.Match(log, $@"{id}: sender non-delivery notification: (\w+)").Groups[1].Value;
        server.WaitForLog(l => l.Contains($"{noticeId}: from=<>,"), "the notice's queue line");
    }

    [Fact]
    public async Task A_message_deferred_past_its_lifetime_is_returned_to_its_sender()
    {
        // Nothing listens on either MX of fallback.test.
        await using var server = await StartAsync(FastRetries with { MaximalLifetime = TimeSpan.FromSeconds(2) });

        var id = await SendAsync("bob@example.test", ["dave@fallback.test"], "Subject: expires\r\n\r\nhi\r\n");

        var log = server.WaitForLog(l => l.Contains($"{id}: from=<bob@example.test>, status=expired, returned to sender") && l.Contains($"{id}: removed"), "the expiry");
        Assert.Contains("status=deferred (connect to mx2.fallback.test[127.0.0.5]", log);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("bob").Length == 1, "bob gets the notice");
        var report = Assert.IsType<MultipartReport>(MimeMessage.Load(_site.MessagesOf("bob")[0]).Body!);
        var fields = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups[1];
        Assert.Equal("failed", fields["Action"]);
        Assert.Equal("4.4.1", fields["Status"]);
        Assert.Contains("Connection refused", fields["Diagnostic-Code"]);
        // No RET: the whole original comes back.
        Assert.IsType<MessagePart>(report[2]);
    }

    [Fact]
    public async Task A_domain_with_a_null_MX_bounces_at_once_with_5_1_10()
    {
        await using var server = await StartAsync();
        var id = await SendAsync("bob@example.test", ["frank@nullmx.test"], "Subject: nowhere\r\n\r\nhi\r\n");
        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "the null MX bounce");
        Assert.Contains($"{id}: to=<frank@nullmx.test>, relay=none", log);
        Assert.Contains("dsn=5.1.10, status=bounced (Domain nullmx.test does not accept mail (nullMX))", log);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("bob").Length == 1, "bob gets the notice");
        var fields = Assert.IsType<MessageDeliveryStatus>(((MultipartReport)MimeMessage.Load(_site.MessagesOf("bob")[0]).Body!)[1]).StatusGroups[1];
        Assert.Equal("5.1.10", fields["Status"]);
    }

    [Fact]
    public async Task A_failed_message_from_the_null_sender_is_not_bounced_and_only_logged()
    {
        using var mx1 = Sink("127.0.0.2", "-f", "RCPT");
        await using var server = await StartAsync();
        var id = await SendAsync("", ["carol@dest.test"], "Subject: a bounce itself\r\n\r\nhi\r\n");
        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "the failed bounce removed");
        Assert.Contains("status=bounced", log);
        Assert.Contains($"{id}: sender non-delivery notification not sent: the message has the null sender (double bounce)", log);
        Assert.DoesNotContain("sender non-delivery notification: ", log);
        Assert.Empty(_site.Queued());
        Assert.Empty(_site.MessagesOf("bob"));
    }

    [Fact]
    public async Task NOTIFY_NEVER_suppresses_the_bounce()
    {
        using var mx1 = Sink("127.0.0.2", "-f", "RCPT");
        await using var server = await StartAsync();
        var id = await SendAsync("bob@example.test", ["carol@dest.test"], "Subject: quiet\r\n\r\nhi\r\n", rcptParameters: " NOTIFY=NEVER");
        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "the failed message removed");
        Assert.Contains("status=bounced", log);
        Assert.DoesNotContain("non-delivery notification", log);
        Assert.Empty(_site.MessagesOf("bob"));
    }

    [Fact]
    public async Task Mandatory_TLS_defers_when_the_server_offers_no_STARTTLS()
    {
        using var mx1 = Sink("127.0.0.2");
        using var mx2 = Sink("127.0.0.3");
        await using var server = await StartAsync(tlsPolicies: new Dictionary<string, MailTlsPolicy> { ["dest.test"] = MailTlsPolicy.Encrypt });
        var id = await SendAsync("bob@example.test", ["carol@dest.test"], "Subject: secret\r\n\r\nhi\r\n");
        await TestMailSite.WaitUntilAsync(() => _site.Queue.List(QueueState.Deferred).Contains(id), "the message is deferred");
        Assert.Contains("dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx2.dest.test[127.0.0.3])", _site.Log());
        Assert.Empty(mx1.Messages());
    }

    [Fact]
    public async Task A_bracketed_relay_host_gets_all_remote_mail_without_MX_lookup()
    {
        using var relay = Sink("127.0.0.7", "-a"); // -a: smtp-sink's AUTH accepts anything with a 250, which no real client takes
        // No DNS at all: the bracketed relay host needs none.
        await using var server = await MailServer.StartAsync(_site.Config(relayHost: new MailRelayHost("127.0.0.7", _port, MxLookup: false)), "relay");
        var id = await SendAsync("bob@example.test", ["x@nullmx.test", "y@elsewhere.example"], "Subject: via relay\r\n\r\nhi\r\n");
        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "delivery via the relay host");
        Assert.Equal(2, Regex.Matches(log, $@"relay=127\.0\.0\.7\[127\.0\.0\.7\]:{_port}, .*status=sent").Count);
        var dump = Assert.Single(relay.Messages());
        Assert.Contains("X-Rcpt-Args: <x@nullmx.test>", dump);
    }

    [Fact]
    public async Task Debians_Postfix_as_the_MX_receives_a_message_submitted_with_AUTH_and_refuses_an_unknown_mailbox()
    {
        using var postfix = PostfixInstance.Start("mx.postfix.test", "postfix.test", "gina");
        _site.AddUser("alice", "alice-pw");
        await using var server = await MailServer.StartAsync(_site.Config(myNetworks: [], nameServers: [_dns.Server.Endpoint], remoteSmtpPort: postfix.Port, queue: FastRetries), "e2e");

        using (var client = new MailKit.Net.Smtp.SmtpClient())
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync("127.0.0.1", _site.SubmissionPort, MailKit.Security.SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("alice@example.test", "alice-pw");
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("alice@example.test"));
            message.To.Add(MailboxAddress.Parse("gina@postfix.test"));
            message.Cc.Add(MailboxAddress.Parse("nobody@postfix.test"));
            message.Subject = "through two servers";
            message.MessageId = "e2e-postfix@example.test";
            message.Body = new TextPart("plain") { Text = "hi gina" };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }

        var postfixLog = postfix.WaitForLog("status=sent (delivered to maildir)");
        Assert.Contains("to=<gina@postfix.test>, relay=virtual", postfixLog);
        Assert.Contains("message-id=<e2e-postfix@example.test>", postfixLog);
        Assert.Contains("client=localhost[127.0.0.1]", postfixLog);
        var log = server.WaitForLog(l => l.Contains("status=sent (250 2.0.0 Ok: queued as") && l.Contains("removed"), "our side of the relay");
        Assert.Contains($"to=<gina@postfix.test>, relay=mx.postfix.test[127.0.0.1]:{postfix.Port}", log);
        // One recipient accepted, one refused in the same transaction: a notice to alice for nobody only.
        Assert.Matches(@"to=<nobody@postfix\.test>, relay=mx\.postfix\.test\[127\.0\.0\.1\]:\d+, .*dsn=5\.1\.1, status=bounced \(host mx\.postfix\.test\[127\.0\.0\.1\] said: 550 5\.1\.1 <nobody@postfix\.test>: Recipient address rejected", log);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1, "alice gets the notice");
        var report = (MultipartReport)MimeMessage.Load(_site.MessagesOf("alice")[0]).Body!;
        var groups = ((MessageDeliveryStatus)report[1]).StatusGroups;
        Assert.Equal(2, groups.Count(g => g.Count > 0)); // the per-message group and nobody's
        Assert.Equal("rfc822; nobody@postfix.test", groups[1]["Final-Recipient"]);
    }

    [Fact]
    public async Task A_server_killed_during_remote_delivery_keeps_the_message_and_delivers_it_after_restart()
    {
        var slow = Sink("127.0.0.2", "-w", "30"); // answers DATA only after 30 s
        var configFile = Path.Combine(_site.DataPath, "mailserver.json");
        var d = _site.Config();
        File.WriteAllText(configFile, $$"""
            // remote delivery under kill -9
            {
              "hostname": "{{TestMailSite.Hostname}}",
              "domains": [ "{{TestMailSite.Domain}}" ],
              "listeners": [ { "kind": "Mta", "address": "127.0.0.1:{{_site.MtaPort}}" } ],
              "dataPath": "{{_site.DataPath}}",
              "dns": { "nameServers": [ "{{_dns.Server.Endpoint}}" ] },
              "remoteSmtpPort": {{_port}},
              "queue": { "minimalBackoff": 0.5, "maximalBackoff": 1 },
            }
            """);
        string id;
        using (var host = await StartHostAsync(configFile))
        {
            id = await SendAsync("bob@example.test", ["carol@dest.test"], "Subject: survives\r\n\r\nhi\r\n");
            // The message is in the SMTP dialogue with mx1 (waiting for the DATA reply) when the server dies.
            await TestMailSite.WaitUntilAsync(() => _site.Log().Contains($"{id}: from=<bob@example.test>") && _site.Queue.List(QueueState.Active).Contains(id), "delivery started");
            await Task.Delay(1000);
            host.Kill();
            host.WaitForExit();
        }
        Assert.Equal(QueueState.Active, _site.Queue.Find(id));
        slow.Dispose();

        using var mx1 = Sink("127.0.0.2");
        await using var server = await MailServer.StartAsync(_site.Config(nameServers: [_dns.Server.Endpoint], remoteSmtpPort: _port, queue: FastRetries), "restarted");
        var log = server.WaitForLog(l => l.Contains($"{id}: removed"), "delivery after the restart");
        Assert.Contains("status=sent", log);
        Assert.Single(mx1.Messages());
    }

    private static Task<System.Diagnostics.Process> StartHostAsync(string configFile) => MailServerProcess.StartAsync(configFile);

    private SmtpSink Sink(string address, params string[] flags)
    {
        var sink = SmtpSink.Start(address, _port, flags);
        _peers.Add(sink);
        return sink;
    }

    private Task<MailServer> StartAsync(MailQueueConfig? queue = null, IReadOnlyDictionary<string, MailTlsPolicy>? tlsPolicies = null) =>
        MailServer.StartAsync(_site.Config(nameServers: [_dns.Server.Endpoint], remoteSmtpPort: _port, queue: queue, tlsPolicies: tlsPolicies), "remote");

    // Relays through the MTA listener from 127.0.0.1 (mynetworks); returns the queue id.
    private async Task<string> SendAsync(string from, string[] to, string message, string mailParameters = "", string rcptParameters = "")
    {
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort);
        Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{from}>{mailParameters}"));
        foreach (var rcpt in to) Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{rcpt}>{rcptParameters}"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync(message + ".\r\n");
        var reply = await client.ReadReplyAsync();
        Assert.StartsWith("250 ", reply);
        return Regex.Match(reply, @"queued as (\w+)").Groups[1].Value;
    }

    private static int FreePort() => MailOps.Tests.TestSupport.TestPorts.Next();
}
