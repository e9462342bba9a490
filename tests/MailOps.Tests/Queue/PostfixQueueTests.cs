using MailKit.Net.Smtp;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Hosts;
using MailOps.Queue;
using MailOps.Tests.TestSupport;
using MimeKit;

namespace MailOps.Tests.Queue;

/// <summary>
/// Two private Postfix instances, each reached over its own sshd (127.0.0.1 and 127.0.0.2), with mail deferred because
/// their relay host is a loopback port nothing listens on: the queue listed, held, released, flushed, read and deleted.
/// </summary>
public sealed class PostfixQueueTests(SshFleet fleet) : IClassFixture<SshFleet>
{
    private sealed class QueuedHost(PostfixInstance postfix, HostConnection connection, int relayPort) : IAsyncDisposable
    {
        public PostfixInstance Postfix { get; } = postfix;
        public HostConnection Connection { get; } = connection;
        public int RelayPort { get; } = relayPort;
        public string Conf => Path.Combine(Postfix.Directory, "conf");

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            Postfix.Dispose();
        }
    }

    // Postfix whose relay host is a port nothing listens on yet: every message to a remote domain is deferred.
    private async Task<QueuedHost> StartAsync(SshServer ssh, string name)
    {
        var relayPort = TestPorts.Next();
        var postfix = PostfixInstance.Start(name, name, ["postmaster"], $"relayhost = [127.0.0.1]:{relayPort}\nsmtp_connect_timeout = 2s", new Dictionary<string, string>());
        return new QueuedHost(postfix, await fleet.ConnectAsync(ssh), relayPort);
    }

    private static async Task SendAsync(QueuedHost host, string from, string to, string subject = "queued", string body = "hello from the queue tests")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", host.Postfix.Port, MailKit.Security.SecureSocketOptions.None);
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
    }

    // postqueue -j run directly on this machine: what the tests compare with.
    private static string[] Postqueue(QueuedHost host) =>
        SshServer.Run("postqueue", "-c", host.Conf, "-j").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static void WaitUntil(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            Thread.Sleep(200);
        }
    }

    // Every message has had its failed attempt (deferred), so a listing does not race the queue manager.
    private static void WaitDeferred(QueuedHost host, int count) =>
        WaitUntil(() => Postqueue(host) is var lines && lines.Length == count && lines.All(l => l.Contains("\"queue_name\": \"deferred\"", StringComparison.Ordinal)), $"{count} deferred messages");

    [Fact]
    public async Task Both_hosts_queues_are_listed_with_their_computer_names_and_the_counts_postqueue_j_gives()
    {
        await using var first = await StartAsync(fleet.First, "one.test");
        await using var second = await StartAsync(fleet.Second, "two.test");
        for (var i = 0; i < 3; i++) await SendAsync(first, $"s{i}@one.test", "far@remote.test");
        for (var i = 0; i < 2; i++) await SendAsync(second, $"s{i}@two.test", "far@remote.test");
        WaitDeferred(first, 3);
        WaitDeferred(second, 2);
        var one = await PostfixQueue.ListAsync(first.Connection, first.Conf, MailQueueFilter.All);
        var two = await PostfixQueue.ListAsync(second.Connection, second.Conf, MailQueueFilter.All);
        Assert.Equal(Postqueue(first).Length, one.Count);
        Assert.Equal(Postqueue(second).Length, two.Count);
        Assert.All(one, m => Assert.Equal(("127.0.0.1", "deferred", first.Conf), (m.ComputerName, m.QueueName, m.ConfigDirectory)));
        Assert.All(two, m => Assert.Equal("127.0.0.2", m.ComputerName));
        Assert.All(one, m => Assert.Contains("Connection refused", Assert.Single(m.Recipients).DelayReason));
        Assert.Equal(["s0@one.test", "s1@one.test", "s2@one.test"], one.Select(m => m.Sender).Order());
    }

    [Fact]
    public async Task Deleting_the_spam_senders_ids_removes_exactly_those_in_one_postsuper_call()
    {
        await using var host = await StartAsync(fleet.First, "del.test");
        await SendAsync(host, "a@spam.test", "x@remote.test");
        await SendAsync(host, "b@spam.test", "y@remote.test");
        await SendAsync(host, "keep@ok.test", "z@remote.test");
        WaitDeferred(host, 3);
        var spam = await PostfixQueue.ListAsync(host.Connection, host.Conf, new MailQueueFilter { Senders = ["*@spam.test"] });
        Assert.Equal(2, spam.Count);
        var deleted = await PostfixQueue.DeleteAsync(host.Connection, host.Conf, [.. spam.Select(m => m.QueueId)]);
        Assert.Equal(2, deleted);
        var left = Assert.Single(Postqueue(host));
        Assert.Contains("keep@ok.test", left);
    }

    [Fact]
    public async Task More_ids_than_one_postsuper_command_takes_are_all_deleted_over_ssh()
    {
        // smtpd puts everything on hold, so smtp-source fills the queue fast and nothing is attempted.
        using var postfix = PostfixInstance.Start("many.test", "many.test", ["postmaster"],
            "smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject_unauth_destination", new Dictionary<string, string>());
        await using var connection = await fleet.ConnectAsync(fleet.Second);
        var conf = Path.Combine(postfix.Directory, "conf");
        var count = PostfixQueue.MaxQueueIdsPerCommand + 150;
        SshServer.Run("smtp-source", "-s", "5", "-m", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", "bulk@spam.test", "-t", "x@remote.test", $"127.0.0.1:{postfix.Port}");
        WaitUntil(() => SshServer.Run("postqueue", "-c", conf, "-j").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == count, $"{count} held messages", 180);
        var held = await PostfixQueue.ListAsync(connection, conf, new MailQueueFilter { Queues = ["hold"] });
        Assert.Equal(count, held.Count);
        Assert.Equal(count, await PostfixQueue.DeleteAsync(connection, conf, [.. held.Select(m => m.QueueId)]));
        Assert.Empty(SshServer.Run("postqueue", "-c", conf, "-j").Trim());
    }

    [Fact]
    public async Task A_held_message_is_in_hold_and_goes_back_to_deferred_when_released()
    {
        await using var host = await StartAsync(fleet.Second, "hold.test");
        await SendAsync(host, "h@hold.test", "x@remote.test");
        WaitDeferred(host, 1);
        var id = Assert.Single(await PostfixQueue.ListAsync(host.Connection, host.Conf, MailQueueFilter.All)).QueueId;
        Assert.Equal(1, await PostfixQueue.HoldAsync(host.Connection, host.Conf, [id]));
        Assert.Contains("\"queue_name\": \"hold\"", Assert.Single(Postqueue(host)));
        Assert.Equal(0, await PostfixQueue.HoldAsync(host.Connection, host.Conf, ["ABCDEF0123"]));
        Assert.Equal(1, await PostfixQueue.ReleaseAsync(host.Connection, host.Conf, [id]));
        var after = Assert.Single(await PostfixQueue.ListAsync(host.Connection, host.Conf, MailQueueFilter.All));
        Assert.Contains(after.QueueName, new[] { "deferred", "active", "incoming" });
    }

    [Fact]
    public async Task Flushing_after_the_relay_host_starts_accepting_delivers_the_deferred_mail()
    {
        await using var host = await StartAsync(fleet.First, "flush.test");
        await SendAsync(host, "f@flush.test", "x@remote.test", "flush me");
        await SendAsync(host, "g@flush.test", "y@remote.test", "flush me too");
        WaitDeferred(host, 2);
        using var sink = SmtpSink.Start("127.0.0.1", host.RelayPort);
        var first = (await PostfixQueue.ListAsync(host.Connection, host.Conf, new MailQueueFilter { Senders = ["f@*"] }))[0].QueueId;
        await PostfixQueue.FlushAsync(host.Connection, host.Conf, [first]);
        // The sink's file exists before its content is all written: wait for the content.
        WaitUntil(() => sink.Messages() is [var only] && only.Contains("flush me"), "the one message flushed by ID at the sink");
        Assert.DoesNotContain("flush me too", Assert.Single(sink.Messages()));
        await PostfixQueue.FlushAsync(host.Connection, host.Conf);
        WaitUntil(() => Postqueue(host).Length == 0, "an empty queue after postqueue -f");
        Assert.Equal(2, sink.Messages().Length);
    }

    [Fact]
    public async Task Postcat_shows_the_envelope_headers_and_body_that_were_sent()
    {
        await using var host = await StartAsync(fleet.Second, "cat.test");
        await SendAsync(host, "writer@cat.test", "reader@remote.test", "Quarterly report", "line one\nline two");
        WaitDeferred(host, 1);
        var id = Assert.Single(await PostfixQueue.ListAsync(host.Connection, host.Conf, MailQueueFilter.All)).QueueId;
        var content = await PostfixQueue.ReadAsync(host.Connection, host.Conf, id);
        Assert.Equal((id, "deferred", "writer@cat.test", "127.0.0.2"), (content.QueueId, content.QueueName, content.Sender, content.ComputerName));
        Assert.Equal(["reader@remote.test"], content.Recipients);
        Assert.Equal("Quarterly report", content.Subject);
        Assert.Contains("line one", content.Body);
        Assert.Contains("line two", content.Body);
        Assert.Contains(content.Headers, h => h.Field == "Received" && h.Value.Contains(id, StringComparison.Ordinal));
        Assert.NotNull(content.ArrivalTime);
        await Assert.ThrowsAsync<MailQueueMessageNotFoundException>(() => PostfixQueue.ReadAsync(host.Connection, host.Conf, "ABCDEF0123"));
    }

    [Fact]
    public async Task An_injection_shaped_queue_id_is_refused_before_any_command_runs()
    {
        await using var host = await StartAsync(fleet.First, "inject.test");
        await SendAsync(host, "i@inject.test", "x@remote.test");
        WaitDeferred(host, 1);
        var marker = Path.Combine(fleet.Directory, "injected");
        var id = Assert.Single(await PostfixQueue.ListAsync(host.Connection, host.Conf, MailQueueFilter.All)).QueueId;
        foreach (var bad in new[] { $"{id}; touch {marker}", $"$(touch {marker})", "ALL", "-d", $"{id}'; touch '{marker}" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => PostfixQueue.DeleteAsync(host.Connection, host.Conf, [id, bad]));
            await Assert.ThrowsAsync<ArgumentException>(() => PostfixQueue.ReadAsync(host.Connection, host.Conf, bad));
            await Assert.ThrowsAsync<ArgumentException>(() => PostfixQueue.FlushAsync(host.Connection, host.Conf, [bad]));
        }
        Assert.False(File.Exists(marker));
        Assert.Single(Postqueue(host));
    }

    [Fact]
    public async Task A_host_that_is_down_fails_alone()
    {
        await using var up = await StartAsync(fleet.First, "up.test");
        await SendAsync(up, "u@up.test", "x@remote.test");
        WaitDeferred(up, 1);
        var conf = up.Conf;
        up.Postfix.Dispose();
        // Postfix stopped: postqueue -j cannot reach showq and says so; the error names the host.
        var error = await Assert.ThrowsAsync<HostCommandException>(() => PostfixQueue.ListAsync(up.Connection, conf, MailQueueFilter.All));
        Assert.Equal("127.0.0.1", error.ComputerName);
    }

    [Theory]
    [InlineData("4F930B3207C", true)]
    [InlineData("6F09AB", true)]
    [InlineData("4dVd2x0Kq7zRjb4B", true)]
    [InlineData("3mZ9Xf4YTGz4D1S", true)]
    [InlineData("4f930b3207c", false)]
    [InlineData("ABCDE", false)]
    [InlineData("ALL", false)]
    [InlineData("4dVd2x0Kq7", false)]
    [InlineData("ABCDEF\n", false)]
    [InlineData("ABCDEF;id", false)]
    [InlineData("", false)]
    public void Queue_ids_are_postfix_short_or_long_ids_only(string id, bool valid) => Assert.Equal(valid, PostfixQueue.IsQueueId(id));

    [Fact]
    public void A_postqueue_line_with_fields_of_a_newer_postfix_still_parses()
    {
        const string line = """{"queue_name": "deferred", "queue_id": "4F930B3207C", "arrival_time": 1795858800, "message_size": 364, "forced_expire": false, "sender": "a@spam.test", "recipients": [{"address": "x@remote.test", "delay_reason": "refused", "orig_address": "X@remote.test"}], "future_field": {"nested": [1, 2]}}""";
        var message = PostqueueJson.Parse(line, "mx1");
        Assert.Equal(("deferred", "4F930B3207C", 364L, "a@spam.test", "mx1"), (message.QueueName, message.QueueId, message.Size, message.Sender, message.ComputerName));
        Assert.Equal(new MailQueueRecipient("x@remote.test", "refused"), Assert.Single(message.Recipients));
    }
}
