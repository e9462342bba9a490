using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailOps.Engine.Configuration;
using MailOps.Engine.Delivery;
using MailOps.Engine.Queue;
using MailOps.Engine.Tests.Server;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Queue;
using MimeKit;

namespace MailOps.Engine.Tests.Queue;

/// <summary>
/// The administrator's queue commands (list, hold, release, delete, flush) against a real running server whose relay
/// host (Postfix's smtp-sink on 127.0.0.1, or nothing) decides whether mail leaves: in this process, in another
/// process through the control socket, and on the files when no server runs.
/// </summary>
public sealed class QueueControlTests : IDisposable
{
    private readonly TestMailSite _site = new();
    private readonly int _relayPort = TestMailSite.FreePort();
    private readonly List<IDisposable> _peers = [];

    public QueueControlTests()
    {
        _site.AddUser("bob");
    }

    public void Dispose()
    {
        foreach (var peer in _peers) peer.Dispose();
        _site.Dispose();
    }

    [Fact]
    public async Task Listing_with_each_filter_selects_exactly_the_right_messages()
    {
        await using var server = await StartAsync();
        var spam = await SendAsync("promo@spam.test", ["carol@remote.test"]);
        var two = await SendAsync("bob@example.test", ["dave@remote.test", "erin@other.test"]);
        var bounce = await SendAsync("", ["frank@remote.test"]);
        await WaitDeferredAsync(spam, two, bounce);
        var control = server.QueueControl;
        await control.HoldAsync(two, CancellationToken.None);

        Assert.Equal([spam, two, bounce], Ids(await ListAsync(control, MailQueueFilter.All)).Order(StringComparer.Ordinal));
        Assert.Equal([two], Ids(await ListAsync(control, new MailQueueFilter { Queues = ["hold"] })));
        Assert.Equal([spam, bounce], Ids(await ListAsync(control, new MailQueueFilter { Queues = ["deferred"] })).Order(StringComparer.Ordinal));
        Assert.Equal([spam], Ids(await ListAsync(control, new MailQueueFilter { Senders = ["*@SPAM.test"] })));
        Assert.Equal([bounce], Ids(await ListAsync(control, new MailQueueFilter { Senders = ["<>"] })));
        Assert.Equal([two], Ids(await ListAsync(control, new MailQueueFilter { Recipients = ["erin@*"] })));
        Assert.Equal([spam, two], Ids(await ListAsync(control, new MailQueueFilter { Recipients = ["[cd]*@remote.test"] })).Order(StringComparer.Ordinal));
        Assert.Empty(await ListAsync(control, new MailQueueFilter { OlderThan = TimeSpan.FromHours(1) }));
        Assert.Equal(3, (await ListAsync(control, new MailQueueFilter { OlderThan = TimeSpan.Zero })).Count);
        Assert.Equal([bounce], Ids(await ListAsync(control, new MailQueueFilter { QueueIds = [bounce, "NoSuchId1"] })));
        Assert.Empty(await ListAsync(control, new MailQueueFilter { QueueIds = [spam], Queues = ["hold"] }));

        // postqueue -j's meaning: every recipient still open, with the reason of its delay; size of the content.
        var listed = (await ListAsync(control, new MailQueueFilter { QueueIds = [spam] })).Single();
        Assert.Equal("deferred", listed.QueueName);
        Assert.Equal("promo@spam.test", listed.Sender);
        var carol = Assert.Single(listed.Recipients);
        Assert.Equal("carol@remote.test", carol.Address);
        Assert.StartsWith($"connect to 127.0.0.1[127.0.0.1]:{_relayPort}", carol.DelayReason);
        Assert.Equal(1, listed.Attempts);
        Assert.True(listed.NextAttempt > listed.ArrivalTime);
        Assert.Equal(Environment.MachineName, listed.ComputerName);
        using (var content = _site.Queue.OpenContent(QueueState.Deferred, spam)) Assert.Equal(content.Length, listed.Size);
    }

    [Fact]
    public async Task A_held_message_stays_when_the_destination_comes_up_and_the_queue_is_flushed_and_once_released_and_flushed_it_is_delivered()
    {
        await using var server = await StartAsync();
        var held = await SendAsync("bob@example.test", ["carol@remote.test"], "held");
        var other = await SendAsync("bob@example.test", ["dave@remote.test"], "other");
        await WaitDeferredAsync(held, other);
        var control = server.QueueControl;

        var onHold = await control.HoldAsync(held, CancellationToken.None);
        Assert.Equal("hold", onHold.QueueName);
        Assert.Equal(QueueState.Hold, _site.Queue.Find(held));

        using var sink = Sink();
        var flushed = await control.FlushAllAsync(CancellationToken.None);
        Assert.Equal([other], Ids(flushed));
        server.WaitForLog(l => l.Contains($"{other}: removed"), "the flushed message delivered");
        Assert.Single(sink.Messages());
        Assert.Contains("Subject: other", sink.Messages()[0]);
        Assert.Equal(QueueState.Hold, _site.Queue.Find(held));
        Assert.Contains($"postsuper[{Environment.ProcessId}]: {held}: placed on hold", server.ReadLog());
        await Assert.ThrowsAsync<InvalidOperationException>(() => control.FlushAsync(held, CancellationToken.None));

        var released = await control.ReleaseAsync(held, CancellationToken.None);
        Assert.Equal("deferred", released.QueueName); // it had an attempt: back to deferred, as postsuper -H
        await control.FlushAsync(held, CancellationToken.None);
        server.WaitForLog(l => l.Contains($"{held}: removed"), "the released message delivered");
        Assert.Equal(2, sink.Messages().Length);
        Assert.Contains(sink.Messages(), m => m.Contains("Subject: held"));
        await Assert.ThrowsAsync<MailQueueMessageNotFoundException>(() => control.ReleaseAsync(held, CancellationToken.None));
    }

    [Fact]
    public async Task Remove_deletes_exactly_the_selected_messages_and_with_a_notice_the_bounce_reaches_the_senders_Maildir()
    {
        await using var server = await StartAsync();
        var quiet = await SendAsync("bob@example.test", ["carol@remote.test"], "quiet");
        var noticed = await SendAsync("bob@example.test", ["dave@remote.test", "erin@remote.test"], "noticed");
        var kept = await SendAsync("bob@example.test", ["frank@remote.test"], "kept");
        var nullSender = await SendAsync("", ["gina@remote.test"], "null sender");
        await WaitDeferredAsync(quiet, noticed, kept, nullSender);
        var control = server.QueueControl;

        var removed = await control.DeleteAsync(quiet, notifySender: false, CancellationToken.None);
        Assert.Equal(quiet, removed.QueueId);
        await control.DeleteAsync(noticed, notifySender: true, CancellationToken.None);
        await control.DeleteAsync(nullSender, notifySender: true, CancellationToken.None);
        await Assert.ThrowsAsync<MailQueueMessageNotFoundException>(() => control.DeleteAsync(quiet, false, CancellationToken.None));

        Assert.Equal([kept], _site.Queue.List(QueueState.Deferred));
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("bob").Length == 1, "bob gets one notice");
        var notice = MimeMessage.Load(_site.MessagesOf("bob")[0]);
        var report = Assert.IsType<MultipartReport>(notice.Body);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal(["rfc822; dave@remote.test", "rfc822; erin@remote.test"], status.StatusGroups.Skip(1).Select(g => g["Final-Recipient"]).OfType<string>());
        Assert.All(status.StatusGroups.Skip(1).Where(g => g.Count > 0), g => Assert.Equal("5.0.0", g["Status"]));
        Assert.Contains("removed from the queue by the mail administrator", notice.TextBody);
        var original = Assert.IsType<MessagePart>(report[2]);
        Assert.Equal("noticed", original.Message!.Subject);
        var log = server.WaitForLog(l => l.Contains($"{nullSender}: sender non-delivery notification not sent"), "no notice for the null sender");
        Assert.Contains($"{quiet}: removed", log);
        Assert.Contains($"{noticed}: sender non-delivery notification:", log);
        Assert.Equal(QueueState.Deferred, _site.Queue.Find(kept));
    }

    [Fact]
    public async Task Deleting_a_message_during_its_delivery_cancels_the_attempt_and_it_never_arrives()
    {
        using var sink = Sink("-w", "30"); // answers DATA only after 30 s
        await using var server = await StartAsync();
        var id = await SendAsync("bob@example.test", ["carol@remote.test"], "in flight");
        server.WaitForLog(l => l.Contains($"{id}: from=<bob@example.test>"), "delivery started");
        await TestMailSite.WaitUntilAsync(() => _site.Queue.Find(id) == QueueState.Active, "the message is in active");

        await server.QueueControl.DeleteAsync(id, notifySender: false, CancellationToken.None);

        Assert.Null(_site.Queue.Find(id));
        // smtp-sink opens its dump file at MAIL FROM; a transaction cut off before the content leaves it empty.
        Assert.DoesNotContain(sink.Messages(), m => m.Contains("in flight"));
        Assert.Contains($"{id}: removed", server.ReadLog());
    }

    [Fact]
    public async Task Holding_a_message_during_its_delivery_takes_effect_when_the_attempt_ends()
    {
        using var sink = Sink("-W", "RCPT:2", "-r", "RCPT"); // a slow 4xx to RCPT
        await using var server = await StartAsync();
        var id = await SendAsync("bob@example.test", ["carol@remote.test"], "slow");
        server.WaitForLog(l => l.Contains($"{id}: from=<bob@example.test>"), "delivery started");

        var held = await server.QueueControl.HoldAsync(id, CancellationToken.None);

        Assert.Equal("hold", held.QueueName);
        Assert.Equal(QueueState.Hold, _site.Queue.Find(id));
        var envelope = await _site.Queue.ReadEnvelopeAsync(QueueState.Hold, id, CancellationToken.None);
        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(RecipientStatus.Deferred, Assert.Single(envelope.Recipients).Status);
        Assert.Empty(sink.Messages());
    }

    [Fact]
    public async Task A_server_in_another_process_is_commanded_through_its_control_socket()
    {
        var configFile = Path.Combine(_site.DataPath, "server.jsonc");
        File.WriteAllText(configFile, $$"""
            {
              "hostname": "{{TestMailSite.Hostname}}",
              "domains": [ "{{TestMailSite.Domain}}" ],
              "listeners": [ { "kind": "Mta", "address": "127.0.0.1:{{_site.MtaPort}}" } ],
              "dataPath": "{{_site.DataPath}}",
              "dns": { "nameServers": [ "127.0.0.1:9" ] },
              "relayHost": "[127.0.0.1]:{{_relayPort}}",
            }
            """);
        var config = MailServerConfigFile.Load(configFile);
        using var host = await MailServerProcess.StartAsync(configFile);
        try
        {
            var spam = await SendAsync("promo@spam.test", ["carol@remote.test"], "spam");
            var ham = await SendAsync("bob@example.test", ["dave@remote.test"], "ham");
            var held = await SendAsync("bob@example.test", ["erin@remote.test"], "held");
            await WaitDeferredAsync(spam, ham, held);

            var client = new QueueControlClient(config.QueuePath, config.Hostname, config.LogPath);
            Assert.True(await client.IsServerRunningAsync(CancellationToken.None));
            var socket = QueueControlSocket.PathOf(config.QueuePath);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
            Assert.Null(QueueLock.TryAcquire(config.QueuePath)); // the server holds the queue

            var listed = await ListAsync(client, new MailQueueFilter { Senders = ["*@spam.test"] });
            Assert.Equal([spam], Ids(listed));
            Assert.Equal("carol@remote.test", listed[0].Recipients.Single().Address);
            await client.DeleteAsync(spam, notifySender: false, CancellationToken.None);
            Assert.Equal("hold", (await client.HoldAsync(held, CancellationToken.None)).QueueName);
            await Assert.ThrowsAsync<MailQueueMessageNotFoundException>(() => client.HoldAsync(spam, CancellationToken.None));
            await Assert.ThrowsAsync<InvalidOperationException>(() => client.ReleaseAsync(ham, CancellationToken.None));

            // The other process did it: its queue manager, its pid in the postsuper lines.
            var log = _site.Log();
            Assert.Contains($"postsuper[{host.Id}]: {spam}: removed", log);
            Assert.Contains($"postsuper[{host.Id}]: {held}: placed on hold", log);
            Assert.Null(_site.Queue.Find(spam));

            using var sink = Sink();
            Assert.Equal([ham], Ids(await client.FlushAllAsync(CancellationToken.None)));
            await TestMailSite.WaitUntilAsync(() => _site.Log().Contains($"{ham}: removed"), "the flushed message delivered by the other process");
            Assert.Equal(QueueState.Hold, _site.Queue.Find(held));
            Assert.Single(sink.Messages());
        }
        finally
        {
            host.Kill();
            await host.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Without_a_server_the_commands_act_on_the_queue_files_and_the_next_start_delivers_accordingly()
    {
        string hold, release, delete, flush;
        await using (var server = await StartAsync())
        {
            hold = await SendAsync("bob@example.test", ["carol@remote.test"], "to hold");
            release = await SendAsync("bob@example.test", ["dave@remote.test"], "to release");
            delete = await SendAsync("bob@example.test", ["erin@remote.test"], "to delete");
            flush = await SendAsync("bob@example.test", ["frank@remote.test"], "to flush");
            await WaitDeferredAsync(hold, release, delete, flush);
            await server.QueueControl.HoldAsync(release, CancellationToken.None);
        }
        var config = Config();
        var client = new QueueControlClient(config.QueuePath, config.Hostname, config.LogPath);
        Assert.False(await client.IsServerRunningAsync(CancellationToken.None));

        Assert.Equal(4, (await ListAsync(client, MailQueueFilter.All)).Count);
        Assert.Equal("hold", (await client.HoldAsync(hold, CancellationToken.None)).QueueName);
        Assert.Equal("deferred", (await client.ReleaseAsync(release, CancellationToken.None)).QueueName);
        await client.DeleteAsync(delete, notifySender: true, CancellationToken.None);
        var due = await client.FlushAsync(flush, CancellationToken.None);
        var envelope = await _site.Queue.ReadEnvelopeAsync(QueueState.Deferred, flush, CancellationToken.None);
        Assert.True(envelope.NextAttempt <= DateTimeOffset.UtcNow);
        Assert.Equal("deferred", due.QueueName);
        Assert.Null(_site.Queue.Find(delete));
        Assert.Single(_site.Queue.List(QueueState.Incoming)); // the notice for erin, queued for the next start
        Assert.Contains($"postsuper[{Environment.ProcessId}]: {hold}: placed on hold", _site.Log());
        using (var probe = QueueLock.TryAcquire(config.QueuePath)) Assert.NotNull(probe); // nothing keeps the queue locked afterwards

        using var sink = Sink();
        await using (var restarted = await StartAsync())
        {
            restarted.WaitForLog(l => l.Contains($"{flush}: removed"), "the flushed message delivered at start");
            await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("bob").Length == 1, "the notice delivered to bob");
            Assert.Contains("erin@remote.test", File.ReadAllText(_site.MessagesOf("bob")[0]));
            Assert.Equal(QueueState.Hold, _site.Queue.Find(hold));
            Assert.Contains(sink.Messages(), m => m.Contains("Subject: to flush"));
            Assert.DoesNotContain(sink.Messages(), m => m.Contains("Subject: to hold") || m.Contains("Subject: to delete"));
        }
    }

    private MailServerConfig Config() => _site.Config(relayHost: new MailRelayHost("127.0.0.1", _relayPort, MxLookup: false));

    private Task<MailServer> StartAsync() => MailServer.StartAsync(Config(), "queue");

    private SmtpSink Sink(params string[] flags)
    {
        var sink = SmtpSink.Start("127.0.0.1", _relayPort, flags);
        _peers.Add(sink);
        return sink;
    }

    private static List<string> Ids(IEnumerable<MailQueueMessage> messages) => messages.Select(m => m.QueueId).ToList();

    private static async Task<List<MailQueueMessage>> ListAsync(IQueueControl control, MailQueueFilter filter)
    {
        var list = new List<MailQueueMessage>();
        await foreach (var message in control.ListAsync(filter, CancellationToken.None)) list.Add(message);
        return list;
    }

    private async Task WaitDeferredAsync(params string[] ids) =>
        await TestMailSite.WaitUntilAsync(() => ids.All(id => _site.Queue.Find(id) == QueueState.Deferred), "the messages are deferred");

    // Relays through the MTA listener from 127.0.0.1 (mynetworks) with MailKit; returns the queue id.
    private async Task<string> SendAsync(string from, string[] to, string subject = "test")
    {
        var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = "hello\n" } };
        message.From.Add(MailboxAddress.Parse(from.Length > 0 ? from : "mailer-daemon@example.test"));
        foreach (var rcpt in to) message.To.Add(MailboxAddress.Parse(rcpt));
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", _site.MtaPort, MailKit.Security.SecureSocketOptions.None);
        var reply = await client.SendAsync(message, new MailboxAddress("", from), to.Select(r => MailboxAddress.Parse(r)));
        await client.DisconnectAsync(true);
        return Regex.Match(reply, @"queued as (\w+)").Groups[1].Value;
    }
}
