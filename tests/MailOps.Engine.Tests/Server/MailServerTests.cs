using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailOps.Engine.Auth;
using MailOps.Engine.Configuration;
using MailOps.Engine.Delivery;
using MailOps.Engine.Logging;
using MailOps.Engine.Queue;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.Smtp;
using MailOps.Engine.Tests.TestSupport;
using MimeKit;
using Envelope = MailOps.Engine.Queue.Envelope;
using MessageFlags = MailOps.Engine.Store.MessageFlags;

namespace MailOps.Engine.Tests.Server;

/// <summary>
/// The whole bundled server, started from a configuration on free 127.0.0.1 ports, driven by real clients (swaks,
/// Python's smtplib, MailKit) and read back by a real Dovecot: what a user of Start-MailServer would see.
/// </summary>
public sealed class MailServerTests : IDisposable
{
    private readonly TestMailSite _site = new();

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task A_user_reads_and_deletes_mail_sent_through_the_server_over_POP3_and_the_log_has_Dovecot_s_login_lines()
    {
        _site.AddUser("alice", "alice-pw");
        await using var server = await MailServer.StartAsync(_site.Config(pop3: true), "pop3-e2e");
        Assert.Contains(server.Endpoints, e => e.Protocol == "POP3" && e.EndPoint.Port == _site.Pop3Port);
        Assert.Contains(server.Endpoints, e => e.Protocol == "POP3S" && e.EndPoint.Port == _site.Pop3TlsPort);
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", _site.MtaPort, SecureSocketOptions.None);
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("bob@remote.test"));
            message.To.Add(MailboxAddress.Parse("alice@example.test"));
            message.Subject = "read me over POP3";
            message.Body = new TextPart("plain") { Text = "Hello Alice.\n" };
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(true);
        }
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1, "alice has the message");

        using (var pop = new MailKit.Net.Pop3.Pop3Client { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await pop.ConnectAsync("127.0.0.1", _site.Pop3Port, SecureSocketOptions.StartTls);
            await pop.AuthenticateAsync("alice@example.test", "alice-pw");
            var received = await pop.GetMessageAsync(0);
            Assert.Equal("read me over POP3", received.Subject);
            Assert.Equal("alice@example.test", received.Headers["Delivered-To"]);
            await pop.DeleteMessageAsync(0);
            await pop.DisconnectAsync(quit: true);
        }
        Assert.Empty(_site.MessagesOf("alice"));
        var log = server.WaitForLog(l => l.Contains("Disconnected: Logged out"), "the POP3 logout line");
        Assert.Matches(@"pop3-login: Login: user=<alice@example\.test>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, TLS, session=<", log);
        Assert.Matches(@"pop3\(alice@example\.test\)<\d+><[^>]+>: Disconnected: Logged out top=0/0, retr=1/\d+, del=1/1, size=\d+", log);
    }

    [Fact]
    public async Task An_IMAP_client_in_IDLE_hears_of_mail_sent_through_the_server_and_reads_it_over_IMAPS()
    {
        _site.AddUser("alice", "alice-pw");
        await using var server = await MailServer.StartAsync(_site.Config(imap: true), "imap-e2e");
        Assert.Contains(server.Endpoints, e => e.Protocol == "IMAP" && e.EndPoint.Port == _site.ImapPort);
        Assert.Contains(server.Endpoints, e => e.Protocol == "IMAPS" && e.EndPoint.Port == _site.ImapTlsPort);
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", _site.ImapPort, SecureSocketOptions.StartTls);
        await imap.AuthenticateAsync("alice@example.test", "alice-pw");
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(0, imap.Inbox.Count);
        using var done = new CancellationTokenSource();
        imap.Inbox.CountChanged += (_, _) => done.Cancel();
        var idle = imap.IdleAsync(done.Token);

        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", _site.MtaPort, SecureSocketOptions.None);
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("bob@remote.test"));
            message.To.Add(MailboxAddress.Parse("alice@example.test"));
            message.Subject = "read me over IMAP";
            message.Body = new TextPart("plain") { Text = "Hello Alice.\n" };
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(true);
        }
        await idle.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, imap.Inbox.Count);
        await imap.DisconnectAsync(true);

        using var imaps = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imaps.ConnectAsync("127.0.0.1", _site.ImapTlsPort, SecureSocketOptions.SslOnConnect);
        await imaps.AuthenticateAsync("alice@example.test", "alice-pw");
        await imaps.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var received = await imaps.Inbox.GetMessageAsync(0);
        Assert.Equal("read me over IMAP", received.Subject);
        await imaps.DisconnectAsync(true);
        var log = server.WaitForLog(l => Regex.Matches(l, @"imap\(alice@example\.test\)<\d+><[^>]+>: Logged out").Count == 2, "two IMAP logout lines");
        Assert.Matches(@"imap-login: Login: user=<alice@example\.test>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, TLS, session=<", log);
        Assert.Matches(@"imap\(alice@example\.test\)<\d+><[^>]+>: Logged out in=\d+ out=\d+ deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=1 body_bytes=\d+", log);
    }

    [Fact]
    public async Task A_message_sent_with_swaks_lands_in_the_users_Maildir_and_Dovecot_serves_it_over_IMAP()
    {
        _site.AddUser("alice", "alice-pw");
        const string sent = "From: Bob <bob@remote.test>\r\nTo: Alice <alice@example.test>\r\nSubject: hello from swaks\r\n" +
            "Message-ID: <e2e-1@remote.test>\r\n\r\nHi Alice,\r\n.a line that starts with a dot\r\n\r\nBye.\r\n";
        var dataFile = Path.Combine(_site.DataPath, "message.txt");
        await File.WriteAllTextAsync(dataFile, sent.Replace("\r\n", "\n"));

        string queueId;
        // The server writes the Maildir as Dovecot's mail account (mailOwner), as a root-run server must for Dovecot to read it.
        var owner = DovecotServer.MailOwner;
        var mailOwner = new MailOwner("mail", owner.Uid, owner.Gid);
        await using (var server = await MailServer.StartAsync(_site.Config(mailOwner: mailOwner), "e2e"))
        {
            var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync("swaks", "--server", $"127.0.0.1:{_site.MtaPort}",
                "--from", "bob@remote.test", "--to", "alice@example.test", "--helo", "remote.test", "--data", "@" + dataFile);
            Assert.True(exit == 0, output);
            queueId = Regex.Match(output, @"queued as (\w+)").Groups[1].Value;
            Assert.NotEmpty(queueId);
            await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1 && _site.Queued().Length == 0, "alice has the message");
            Assert.Equal(1, server.Delivered);
        }

        var file = Assert.Single(_site.MessagesOf("alice"));
        Assert.Equal(_site.NewMailOf("alice"), Path.GetDirectoryName(file));
        long w = long.Parse(Regex.Match(Path.GetFileName(file), @",W=(\d+)").Groups[1].Value);

        Assert.Equal(owner.Uid, StatUid(file));
        var maildir = Path.GetDirectoryName(Path.GetDirectoryName(file))!;
        using var dovecot = DovecotServer.Start([new DovecotUser("alice@example.test", "alice-pw", "maildir:" + maildir)]);
        using var imap = new ImapClient();
        await imap.ConnectAsync("127.0.0.1", dovecot.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync("alice@example.test", "alice-pw");
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var summary = Assert.Single(await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Size));
        Assert.Equal(w, (long)summary.Size!.Value);
        await using var stream = await imap.Inbox.GetStreamAsync(summary.UniqueId, 0, int.MaxValue);
        var served = await new StreamReader(stream, Encoding.Latin1).ReadToEndAsync();
        await imap.DisconnectAsync(true);

        Assert.StartsWith("Delivered-To: alice@example.test\r\nReceived: from remote.test (unknown [127.0.0.1])\r\n", served);
        Assert.Contains($"\tby {TestMailSite.Hostname} (MailOps) with ESMTP id {queueId}\r\n\tfor <alice@example.test>;", served);
        Assert.Equal(sent + "\r\n", WithoutTraceHeaders(served)); // swaks ends the data with an empty line of its own
        Assert.Empty(dovecot.LogProblems());
    }

    [Fact]
    public async Task Pythons_smtplib_and_MailKit_both_deliver_an_unknown_local_user_gets_550_and_relay_from_outside_mynetworks_is_refused()
    {
        _site.AddUser("alice");
        _site.AddUser("bob");
        await using var server = await MailServer.StartAsync(_site.Config(myNetworks: [IPNetwork.Parse("10.0.0.0/8")]), "e2e");

        const string script = """
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
            s.ehlo('python.test')
            s.sendmail('py@remote.test', ['alice@example.test'], 'Subject: from python\r\n\r\nhello alice\r\n')
            s.quit()
            """;
        var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync("python3", "-c", script, _site.MtaPort.ToString());
        Assert.True(exit == 0, output);

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync("127.0.0.1", _site.MtaPort, SecureSocketOptions.None);
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("mk@remote.test"));
            message.To.Add(MailboxAddress.Parse("bob@example.test"));
            message.Subject = "from MailKit";
            message.Body = new TextPart("plain") { Text = "hello bob" };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }

        await using (var raw = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort))
        {
            Assert.StartsWith("250", await raw.CommandAsync("MAIL FROM:<someone@remote.test>"));
            Assert.StartsWith("550 5.1.1 ", await raw.CommandAsync("RCPT TO:<nobody@example.test>"));
            Assert.StartsWith("554 5.7.1 ", await raw.CommandAsync("RCPT TO:<carol@foreign.test>"));
            Assert.StartsWith("554 5.5.1 ", await raw.CommandAsync("DATA"));
        }

        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1 && _site.MessagesOf("bob").Length == 1, "both are delivered");
        Assert.Contains("Subject: from python", await File.ReadAllTextAsync(_site.MessagesOf("alice")[0]));
        Assert.Contains("Subject: from MailKit", await File.ReadAllTextAsync(_site.MessagesOf("bob")[0]));
        Assert.False(Directory.Exists(Path.Combine(_site.DataPath, "mail", TestMailSite.Domain, "nobody")));
        await TestMailSite.WaitUntilAsync(() => _site.Queued().Length == 0, "the queue is empty");
        Assert.Equal(2, server.MessagesQueued);
        Assert.True(server.Rejected >= 2, $"rejected {server.Rejected}");
    }

    [Fact]
    public async Task Submission_requires_AUTH_over_TLS_and_then_relays_for_the_user()
    {
        _site.AddUser("alice", "alice-pw");
        await using var server = await MailServer.StartAsync(_site.Config(myNetworks: []), "e2e");

        await using (var raw = await RawSmtpClient.ConnectAndHelloAsync(_site.SubmissionPort))
        {
            Assert.StartsWith("5", await raw.CommandAsync("MAIL FROM:<alice@example.test>")); // no AUTH yet
            Assert.StartsWith("538 5.7.11 ", await raw.CommandAsync("AUTH PLAIN " + Plain("alice@example.test", "alice-pw")));
            Assert.StartsWith("220", await raw.CommandAsync("STARTTLS"));
            await raw.UpgradeToTlsAsync();
            Assert.StartsWith("250", await raw.CommandAsync("EHLO client.test"));
            Assert.StartsWith("535 5.7.8 ", await raw.CommandAsync("AUTH PLAIN " + Plain("alice@example.test", "wrong")));
        }

        using (var client = new SmtpClient())
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync("127.0.0.1", _site.SubmissionPort, SecureSocketOptions.StartTls);
            var wrong = await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("alice@example.test", "nope"));
            Assert.Contains("5.7.8", wrong.Message);
            await client.AuthenticateAsync("alice@example.test", "alice-pw");
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("alice@example.test"));
            message.To.Add(MailboxAddress.Parse("carol@foreign.test"));
            message.Subject = "relayed for alice";
            message.Body = new TextPart("plain") { Text = "hi carol" };
            var reply = await client.SendAsync(message);
            Assert.Contains("queued as", reply);
            await client.DisconnectAsync(true);
        }

        using (var client = new SmtpClient()) // port 465 style: TLS from the first byte, then the same AUTH
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync("127.0.0.1", _site.SubmissionTlsPort, SecureSocketOptions.SslOnConnect);
            await client.AuthenticateAsync("alice@example.test", "alice-pw");
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("alice@example.test"));
            message.To.Add(MailboxAddress.Parse("alice@example.test"));
            message.Subject = "note to self over implicit TLS";
            message.Body = new TextPart("plain") { Text = "hi me" };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1, "the note reaches alice");

        // No DNS server answers this site's remote delivery: the relayed message waits in deferred, marked with alice's login and TLS.
        await TestMailSite.WaitUntilAsync(() => _site.Queue.List(QueueState.Deferred).Count == 1, "the relayed message is deferred");
        var envelope = await _site.Queue.ReadEnvelopeAsync(QueueState.Deferred, _site.Queue.List(QueueState.Deferred)[0], CancellationToken.None);
        Assert.Equal("alice@example.test", envelope.AuthUser);
        Assert.True(envelope.Tls);
        Assert.Equal("carol@foreign.test", Assert.Single(envelope.Recipients).Address);
        Assert.Equal(RecipientStatus.Deferred, envelope.Recipients[0].Status);
        Assert.Contains("sasl_method=PLAIN, sasl_username=alice@example.test", _site.Log());
    }

    [Fact]
    public async Task Aliases_expand_to_one_copy_per_mailbox_and_a_domain_catch_all_takes_unknown_local_parts()
    {
        _site.AddUser("alice");
        _site.AddUser("bob");
        _site.AddUser("postmaster");
        _site.WriteAliases($"team@{TestMailSite.Domain} alice@{TestMailSite.Domain}, bob@{TestMailSite.Domain}\n@{TestMailSite.Domain} postmaster@{TestMailSite.Domain}\n");
        await using var server = await MailServer.StartAsync(_site.Config(), "e2e");

        await using (var raw = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort))
        {
            await SendAsync(raw, "someone@remote.test", ["team@example.test", "alice@example.test"], "Subject: to the team\r\n\r\nhi\r\n");
            await SendAsync(raw, "someone@remote.test", ["whoever@example.test"], "Subject: to whoever\r\n\r\nhi\r\n");
        }

        await TestMailSite.WaitUntilAsync(() => _site.Queued().Length == 0 && _site.MessagesOf("postmaster").Length == 1, "all is delivered");
        Assert.Contains("Subject: to the team", await File.ReadAllTextAsync(Assert.Single(_site.MessagesOf("alice")))); // team and alice: one copy
        Assert.Contains("Subject: to the team", await File.ReadAllTextAsync(Assert.Single(_site.MessagesOf("bob"))));
        Assert.Contains("Subject: to whoever", await File.ReadAllTextAsync(Assert.Single(_site.MessagesOf("postmaster"))));
        var sent = _site.Log().Split('\n').Where(l => l.Contains("status=sent")).ToArray();
        Assert.Equal(3, sent.Length);
        Assert.Single(sent, l => l.Contains("to=<bob@example.test>, orig_to=<team@example.test>"));
        Assert.Single(sent, l => l.Contains("to=<postmaster@example.test>, orig_to=<whoever@example.test>"));
        Assert.Equal(3, server.Delivered);
    }

    [Fact]
    public async Task The_configured_catch_all_mailbox_gets_mail_for_unknown_users_in_local_domains()
    {
        _site.AddUser("alice");
        _site.AddUser("postmaster");
        await using var server = await MailServer.StartAsync(_site.Config(catchAll: "postmaster@example.test"), "e2e");

        await using (var raw = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort))
        {
            await SendAsync(raw, "someone@remote.test", ["nobody@example.test"], "Subject: lost\r\n\r\nhi\r\n");
            await SendAsync(raw, "someone@remote.test", ["alice@example.test"], "Subject: for alice\r\n\r\nhi\r\n");
        }

        await TestMailSite.WaitUntilAsync(() => _site.Queued().Length == 0 && server.Delivered == 2, "both are delivered");
        Assert.Contains("Subject: lost", await File.ReadAllTextAsync(Assert.Single(_site.MessagesOf("postmaster"))));
        Assert.Contains("Subject: for alice", await File.ReadAllTextAsync(Assert.Single(_site.MessagesOf("alice"))));
    }

    [Fact]
    public async Task A_message_accepted_with_250_survives_kill_9_and_is_delivered_after_restart_once()
    {
        _site.AddUser("alice");
        var configFile = WriteConfigFile();
        const string line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n";

        // Five messages in a row, the process killed the moment the last 250 arrives: the earlier ones may be delivered,
        // in delivery, or still queued; whichever it was, each must end in the Maildir exactly once.
        var queueIds = new List<string>();
        using (var first = StartServerProcess(configFile))
        {
            try
            {
                await WaitForReadyAsync(first);
                await using var client = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort);
                for (var i = 0; i < 5; i++)
                {
                    Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<durable@remote.test>"));
                    Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<alice@example.test>"));
                    Assert.StartsWith("354", await client.CommandAsync("DATA"));
                    await client.SendAsync($"Subject: survive {i}\r\n\r\n" + string.Concat(Enumerable.Repeat(line, 2000)) + ".\r\n");
                    string reply = await client.ReadReplyAsync();
                    if (i == 4) first.Kill(); // SIGKILL
                    Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
                    queueIds.Add(reply["250 2.0.0 Ok: queued as ".Length..]);
                }
            }
            finally
            {
                if (!first.HasExited) first.Kill();
                await first.WaitForExitAsync();
            }
        }

        using (var second = StartServerProcess(configFile))
        {
            try
            {
                await WaitForReadyAsync(second);
                await TestMailSite.WaitUntilAsync(() => _site.Queued().Length == 0, "the queue is empty after restart");
                await Task.Delay(300); // a second copy would appear now, if at all
            }
            finally
            {
                second.Kill();
                await second.WaitForExitAsync();
            }
        }

        var copies = await Task.WhenAll(_site.MessagesOf("alice").Select(f => File.ReadAllTextAsync(f)));
        Assert.Equal(5, copies.Length);
        for (var i = 0; i < 5; i++)
        {
            var copy = Assert.Single(copies, c => c.Contains($" id {queueIds[i]}\n"));
            Assert.Contains($"Subject: survive {i}\n", copy);
            Assert.Equal(2000, Regex.Matches(copy, line.Replace("\r\n", "\n")).Count);
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    // A power loss may undo the unsynced move into active: the message is back in incoming, its copy maybe in the Maildir.
    [InlineData(true, false, true)]
    [InlineData(false, false, true)]
    public async Task A_recipient_left_in_active_by_a_crash_is_delivered_exactly_once_after_restart(bool copyReachedTheMaildir, bool markedDelivering, bool moveUndone = false)
    {
        _site.AddUser("alice");
        var queue = _site.Queue;
        var store = new MaildirStore(Path.Combine(_site.DataPath, "mail", "%d", "%n", "Maildir"), new MaildirOptions { HostName = TestMailSite.Hostname });
        string id;
        await using (var writer = queue.BeginMessage())
        {
            id = writer.QueueId;
            writer.Content.Write(Encoding.ASCII.GetBytes(
                $"Received: from remote.test (unknown [127.0.0.1])\r\n\tby {TestMailSite.Hostname} (MailOps) with ESMTP id {id}\r\n\tfor <alice@example.test>; Mon, 2 Mar 2026 10:00:00 +0000\r\n" +
                "Subject: crash in the middle\r\n\r\nhello\r\n"));
            await writer.CommitAsync(new Envelope
            {
                Sender = "s@remote.test",
                ArrivalTime = DateTimeOffset.UtcNow,
                Recipients = [new EnvelopeRecipient { Address = "alice@example.test" }],
            }, CancellationToken.None);
        }

        // The state a crash leaves: active, the recipient still Pending (or Delivering, as earlier versions wrote it),
        // and maybe the copy already written.
        var left = moveUndone ? QueueState.Incoming : QueueState.Active;
        queue.Move(id, QueueState.Incoming, left);
        if (markedDelivering)
        {
            var envelope = await queue.ReadEnvelopeAsync(QueueState.Active, id, CancellationToken.None);
            envelope.Recipients[0].Status = RecipientStatus.Delivering;
            envelope.Recipients[0].DeliveringSince = DateTimeOffset.UtcNow;
            await queue.WriteEnvelopeAsync(QueueState.Active, envelope, CancellationToken.None);
        }
        if (copyReachedTheMaildir)
        {
            await using var copy = new MemoryStream();
            copy.Write("Delivered-To: alice@example.test\r\n"u8);
            await using (var content = queue.OpenContent(left, id)) await content.CopyToAsync(copy);
            copy.Position = 0;
            await store.Open("alice@example.test").Inbox.DeliverAsync(copy, MessageFlags.None, null, cancellationToken: CancellationToken.None);
        }

        var recipients = new LocalRecipientDirectory([TestMailSite.Domain], PasswdFile.Load(Path.Combine(_site.DataPath, "users.passwd")), VirtualAliasMap.FromText(""));
        Directory.CreateDirectory(Path.Combine(_site.DataPath, "logs"));
        using (var log = new MailLog(Path.Combine(_site.DataPath, "logs", "mail.log"), TestMailSite.Hostname))
        {
            await using var agent = new LocalDeliveryAgent(queue, recipients, store, log);
            await agent.DeliverQueuedAsync(CancellationToken.None);
            Assert.Equal(copyReachedTheMaildir ? 0 : 1, agent.Delivered);
        }

        var file = Assert.Single(_site.MessagesOf("alice"));
        Assert.StartsWith("Delivered-To: alice@example.test\n", await File.ReadAllTextAsync(file));
        Assert.Empty(_site.Queued());
        Assert.Contains($"{id}: removed", _site.Log());
        Assert.Single(_site.Log().Split('\n'), l => l.Contains($"{id}: to=<alice@example.test>") && l.Contains("status=sent"));
    }

    [Fact]
    public async Task Stop_while_a_client_is_in_DATA_gives_it_250_when_it_finishes_in_time_and_nothing_accepted_is_lost()
    {
        _site.AddUser("alice");
        await using var server = await MailServer.StartAsync(_site.Config(), "e2e"); // stopped below; disposing again is a no-op
        Task stopping;
        string reply;
        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort))
        {
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@remote.test>"));
            Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<alice@example.test>"));
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            await client.SendAsync("Subject: in flight\r\n\r\nfirst half\r\n");
            stopping = server.StopAsync(TimeSpan.FromSeconds(10));
            await TestMailSite.WaitUntilAsync(() => !TestMailSite.IsListening(_site.MtaPort), "the listener stops accepting");
            await client.SendAsync("second half\r\n.\r\n");
            reply = await client.ReadReplyAsync();
        }
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        string queueId = reply["250 2.0.0 Ok: queued as ".Length..];

        // Accepted means it is in the Maildir or still in the queue; a restart finishes what the stop left.
        Assert.Equal(1, _site.MessagesOf("alice").Length + _site.Queued().Length);
        await using (var again = await MailServer.StartAsync(_site.Config(), "e2e"))
            await TestMailSite.WaitUntilAsync(() => _site.Queued().Length == 0, "the queue is empty after restart");
        var text = await File.ReadAllTextAsync(Assert.Single(_site.MessagesOf("alice")));
        Assert.Contains($" id {queueId}\n", text);
        Assert.EndsWith("first half\nsecond half\n", text);
    }

    [Fact]
    public async Task Stop_while_a_client_is_in_DATA_gives_it_421_after_the_grace_and_nothing_half_received_is_kept()
    {
        _site.AddUser("alice");
        await using var server = await MailServer.StartAsync(_site.Config(), "e2e"); // stopped below; disposing again is a no-op
        await using var client = await RawSmtpClient.ConnectAndHelloAsync(_site.MtaPort);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@remote.test>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<alice@example.test>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync("Subject: never finished\r\n\r\nhalf\r\n");

        var stopwatch = Stopwatch.StartNew();
        await server.StopAsync(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"stop took {stopwatch.Elapsed}");
        Assert.StartsWith("421 4.3.2 ", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedAsync());
        Assert.Empty(_site.Queued());
        Assert.Empty(_site.MessagesOf("alice"));
    }

    [Fact]
    public void A_wrong_configuration_file_is_refused_with_the_file_the_setting_and_why()
    {
        var file = Path.Combine(_site.DataPath, "mailserver.json");
        File.WriteAllText(file, """
            {
              "hostname": "mx.example.test",
              "domains": [ "example.test" ],
              "listeners": [ { "kind": "Mta", "address": "127.0.0.1:70000" } ],
              "mynetworks": [ "192.168.1.1/24" ],
              "limits": { "recipientLimit": 5 },
              "hostnmae": "typo.example.test",
            }
            """);

        var refused = Assert.Throws<MailServerConfigException>(() => MailServerConfigFile.Load(file));
        Assert.Equal(file, refused.File);
        Assert.All(refused.Errors, e => Assert.Equal(file, e.File));
        Assert.Contains(refused.Errors, e => e is { Setting: "listeners[0].address", Line: 4 } && e.Reason.Contains("70000"));
        Assert.Contains(refused.Errors, e => e is { Setting: "mynetworks[0]", Line: 5 } && e.Reason.Contains("192.168.1.0/24"));
        Assert.Contains(refused.Errors, e => e is { Setting: "limits.recipientLimit", Line: 6 } && e.Reason.Contains("100"));
        Assert.Contains(refused.Errors, e => e is { Setting: "hostnmae", Line: 7 } && e.Reason.Contains("did you mean 'hostname'?"));
        Assert.Contains($"{file}:4: listeners[0].address: ", refused.Message);
    }

    [Fact]
    public async Task A_port_in_use_makes_the_start_fail_and_leaves_no_listener_or_running_server_behind()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, _site.SubmissionTlsPort);
        squatter.Start(); // the last listener's port: the first two are open by the time it fails

        await Assert.ThrowsAnyAsync<SocketException>(() => RunningMailServers.StartAsync(_site.Config(), "e2e-busy-port"));

        Assert.False(TestMailSite.IsListening(_site.MtaPort), "the MTA listener was left running");
        Assert.False(TestMailSite.IsListening(_site.SubmissionPort), "the submission listener was left running");
        Assert.Null(RunningMailServers.Find("e2e-busy-port"));
        squatter.Stop();

        // Nothing is held either: the same configuration starts once the port is free.
        await using var server = await MailServer.StartAsync(_site.Config(), "e2e");
        Assert.True(TestMailSite.IsListening(_site.SubmissionTlsPort));
    }

    // The served message without what delivery added in front of it: Delivered-To and our Received header (with its folded lines).
    private static string WithoutTraceHeaders(string message)
    {
        var lines = message.Split("\r\n").ToList();
        Assert.StartsWith("Delivered-To: ", lines[0]);
        Assert.StartsWith("Received: ", lines[1]);
        var end = 2;
        while (lines[end].StartsWith('\t') || lines[end].StartsWith(' ')) end++;
        return string.Join("\r\n", lines.Skip(end));
    }

    private static string Plain(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    private static async Task SendAsync(RawSmtpClient client, string from, string[] to, string message)
    {
        Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{from}>"));
        foreach (var rcpt in to) Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{rcpt}>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync(message + ".\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
    }

    // New-MailServerConfig's template, moved to this site's domain and ports.
    private string WriteConfigFile()
    {
        var file = Path.Combine(_site.DataPath, "mailserver.json");
        MailServerConfigFile.WriteTemplate(file, TestMailSite.Hostname, _site.DataPath);
        var text = File.ReadAllText(file)
            .Replace($"\"{MailServerConfig.DefaultDomain}\"", $"\"{TestMailSite.Domain}\"")
            .Replace("127.0.0.1:2525", $"127.0.0.1:{_site.MtaPort}")
            .Replace("127.0.0.1:2587", $"127.0.0.1:{_site.SubmissionPort}")
            .Replace("127.0.0.1:2465", $"127.0.0.1:{_site.SubmissionTlsPort}");
        File.WriteAllText(file, text);
        var config = MailServerConfigFile.Load(file);
        Assert.Equal([TestMailSite.Domain], config.Domains);
        return file;
    }

    private static Process StartServerProcess(string configFile)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(SmtpTestHost).Assembly.Location);
        start.ArgumentList.Add("mail-server");
        start.ArgumentList.Add(configFile);
        return Process.Start(start)!;
    }

    private static async Task WaitForReadyAsync(Process server)
    {
        string? line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(line?.StartsWith("ready ") == true, $"the server process said '{line}': {(server.HasExited ? await server.StandardError.ReadToEndAsync() : "")}");
    }

    // The owner of a file as the kernel reports it: `stat -c %u`.
    private static uint StatUid(string path)
    {
        var (exit, output) = TestSupport.ExternalProgram.RunForOutputAsync("stat", "-c", "%u", path).GetAwaiter().GetResult();
        Assert.True(exit == 0, output);
        return uint.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
