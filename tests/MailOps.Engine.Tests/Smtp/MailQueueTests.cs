using System.Diagnostics;
using MailOps.Engine.Queue;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>The queue's files and states, and the promise behind 250: the message survives kill -9.</summary>
public sealed class MailQueueTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mailops-queue-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task A_message_accepted_with_250_survives_kill_9_of_the_server_process()
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(SmtpTestHost).Assembly.Location);
        start.ArgumentList.Add("smtp-host");
        start.ArgumentList.Add(_root);
        using var host = Process.Start(start)!;
        string queueId;
        try
        {
            string? first = await host.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(first);
            int port = int.Parse(first!["port ".Length..]);
            await using var client = await RawSmtpClient.ConnectAndHelloAsync(port);
            await client.CommandAsync("MAIL FROM:<durable@remote.test> RET=HDRS");
            await client.CommandAsync("RCPT TO:<alice@local.test> NOTIFY=FAILURE");
            await client.CommandAsync("DATA");
            string body = string.Concat(Enumerable.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 4000));
            await client.SendAsync("Subject: survive\r\n\r\n" + body + ".\r\n");
            string reply = await client.ReadReplyAsync();
            host.Kill(); // SIGKILL on Linux, the moment 250 arrives
            Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
            queueId = reply["250 2.0.0 Ok: queued as ".Length..];
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill();
            }

            await host.WaitForExitAsync();
        }

        var queue = new MailQueue(_root);
        Assert.Equal([queueId], queue.List(QueueState.Incoming));
        Envelope envelope = await queue.ReadEnvelopeAsync(QueueState.Incoming, queueId, CancellationToken.None);
        Assert.Equal("durable@remote.test", envelope.Sender);
        Assert.Equal("HDRS", envelope.Ret);
        Assert.Equal("FAILURE", envelope.Recipients[0].Notify);
        using var reader = new StreamReader(queue.OpenContent(QueueState.Incoming, queueId));
        string content = await reader.ReadToEndAsync();
        Assert.Equal(envelope.Size, content.Length);
        Assert.StartsWith("Received: from ", content);
        Assert.EndsWith("0123456789abcdef\r\n", content);
        Assert.Equal(4000, content.Split("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n").Length - 1);
    }

    [Fact]
    public async Task A_queued_message_can_be_listed_read_updated_moved_between_states_and_deleted()
    {
        var queue = new MailQueue(_root);
        foreach (string state in new[] { "incoming", "active", "deferred", "hold", "corrupt" })
        {
            Assert.True(Directory.Exists(Path.Combine(_root, state)), state);
        }

        string id;
        await using (var writer = queue.BeginMessage())
        {
            id = writer.QueueId;
            Assert.Empty(queue.List(QueueState.Incoming)); // not visible before commit
            writer.Content.Write("Subject: q\r\n\r\nhi\r\n"u8);
            await writer.CommitAsync(
                new Envelope { Sender = "s@x.test", Recipients = [new EnvelopeRecipient { Address = "alice@local.test" }] },
                CancellationToken.None);
        }

        Assert.True(QueueId.IsValid(id));
        Assert.Equal([id], queue.List(QueueState.Incoming));
        Assert.Equal(QueueState.Incoming, queue.Find(id));
        queue.Move(id, QueueState.Incoming, QueueState.Deferred);
        Assert.Empty(queue.List(QueueState.Incoming));
        Envelope envelope = await queue.ReadEnvelopeAsync(QueueState.Deferred, id, CancellationToken.None);
        envelope.Attempts++;
        envelope.Recipients[0].Status = RecipientStatus.Deferred;
        envelope.Recipients[0].LastResponse = "451 4.3.0 try later";
        await queue.WriteEnvelopeAsync(QueueState.Deferred, envelope, CancellationToken.None);
        Envelope reread = await queue.ReadEnvelopeAsync(QueueState.Deferred, id, CancellationToken.None);
        Assert.Equal(1, reread.Attempts);
        Assert.Equal(RecipientStatus.Deferred, reread.Recipients[0].Status);
        using (var content = new StreamReader(queue.OpenContent(QueueState.Deferred, id)))
        {
            Assert.Equal("Subject: q\r\n\r\nhi\r\n", await content.ReadToEndAsync());
        }

        queue.Delete(QueueState.Deferred, id);
        Assert.Null(queue.Find(id));
        Assert.Throws<ArgumentException>(() => queue.OpenContent(QueueState.Incoming, "../../etc/passwd"));
    }

    [Fact]
    public async Task An_uncommitted_message_leaves_nothing_and_leftovers_of_a_crash_are_removed_at_start()
    {
        var queue = new MailQueue(_root);
        await using (var writer = queue.BeginMessage())
        {
            writer.Content.Write("half"u8);
        }

        Assert.Empty(Directory.GetFiles(queue.DirectoryOf(QueueState.Incoming)));
        File.WriteAllText(Path.Combine(queue.DirectoryOf(QueueState.Incoming), QueueId.New() + ".eml.tmp"), "crashed mid-DATA");
        File.WriteAllText(Path.Combine(queue.DirectoryOf(QueueState.Incoming), QueueId.New() + ".eml"), "crashed before the envelope");
        File.WriteAllText(Path.Combine(queue.DirectoryOf(QueueState.Hold), QueueId.New() + ".eml"), "moved to hold, crashed before the envelope");
        Assert.Equal(3, queue.RemoveLeftovers());
        Assert.Empty(Directory.GetFiles(queue.DirectoryOf(QueueState.Incoming)));
        Assert.Empty(Directory.GetFiles(queue.DirectoryOf(QueueState.Hold)));
    }

    [Fact]
    public async Task A_message_being_written_in_place_is_neither_listed_nor_found_until_its_envelope_completes_it()
    {
        var queue = new MailQueue(_root);
        await using var writer = queue.BeginMessage();
        writer.Content.Write(System.Text.Encoding.ASCII.GetBytes("Subject: w\r\n\r\n" + new string('x', 70000) + "\r\n"));
        await writer.Content.FlushAsync();
        // The file is there under its own name, with its content, but without the trailer it is not a message yet.
        Assert.True(File.Exists(Path.Combine(queue.DirectoryOf(QueueState.Incoming), writer.QueueId + ".eml")));
        Assert.Empty(queue.List(QueueState.Incoming));
        Assert.Null(queue.Find(writer.QueueId));
        Assert.Equal(1, new MailQueue(_root).RemoveLeftovers()); // a start-up now would remove it
        Assert.Empty(Directory.GetFiles(queue.DirectoryOf(QueueState.Incoming)));
    }

    [Fact]
    public async Task A_message_committed_to_hold_is_found_only_in_hold()
    {
        var queue = new MailQueue(_root);
        string id;
        await using (var writer = queue.BeginMessage())
        {
            id = writer.QueueId;
            writer.Content.Write("Subject: held\r\n\r\nhi\r\n"u8);
            await writer.CommitAsync(
                new Envelope { Sender = "s@x.test", Recipients = [new EnvelopeRecipient { Address = "alice@local.test" }] },
                CancellationToken.None, QueueState.Hold);
        }

        Assert.Empty(queue.List(QueueState.Incoming));
        Assert.Equal([id], queue.List(QueueState.Hold));
        Assert.Equal(QueueState.Hold, queue.Find(id));
        using var reader = new StreamReader(queue.OpenContent(QueueState.Hold, id));
        Assert.Equal("Subject: held\r\n\r\nhi\r\n", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task A_message_queued_by_an_earlier_version_as_content_and_env_files_is_still_read_moved_and_rewritten()
    {
        var queue = new MailQueue(_root);
        string id = QueueId.New();
        string deferred = queue.DirectoryOf(QueueState.Deferred);
        File.WriteAllText(Path.Combine(deferred, id + ".eml"), "Subject: old\r\n\r\nhi\r\n");
        File.WriteAllText(Path.Combine(deferred, id + ".env"), $$"""{"queueId":"{{id}}","sender":"s@x.test","recipients":[{"address":"a@local.test","status":"Deferred"}],"size":21}""");

        Assert.Equal([id], queue.List(QueueState.Deferred));
        queue.Move(id, QueueState.Deferred, QueueState.Active);
        Envelope envelope = await queue.ReadEnvelopeAsync(QueueState.Active, id, CancellationToken.None);
        Assert.Equal(RecipientStatus.Deferred, envelope.Recipients[0].Status);
        envelope.Attempts = 2;
        await queue.WriteEnvelopeAsync(QueueState.Active, envelope, CancellationToken.None);

        Assert.Equal([id + ".eml"], Directory.GetFiles(queue.DirectoryOf(QueueState.Active)).Select(Path.GetFileName));
        Assert.Equal(2, (await queue.ReadEnvelopeAsync(QueueState.Active, id, CancellationToken.None)).Attempts);
        using var content = new StreamReader(queue.OpenContent(QueueState.Active, id));
        Assert.Equal("Subject: old\r\n\r\nhi\r\n", await content.ReadToEndAsync());
    }

    [Fact]
    public void Queue_IDs_are_unique_and_sort_by_time()
    {
        var ids = Enumerable.Range(0, 2000).Select(_ => QueueId.New()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(16, id.Length));
        Assert.True(string.CompareOrdinal(ids[0][..6], ids[^1][..6]) <= 0);
    }
}
