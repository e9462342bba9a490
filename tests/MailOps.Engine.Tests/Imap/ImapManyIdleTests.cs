namespace MailOps.Engine.Tests.Imap;

/// <summary>Many clients idling on one INBOX at once (the benchmark does 10,000; this is the same promise at a modest count).</summary>
public sealed class ImapManyIdleTests
{
    private const int Clients = 200;

    [Fact]
    public async Task Two_hundred_clients_in_IDLE_stay_connected_and_each_hears_EXISTS_for_one_delivery()
    {
        await using var host = ImapTestHost.Start(maxUserIpConnections: 0, maxConnections: Clients + 10, maxConnectionsPerClient: Clients + 10);
        await host.DeliverAsync("alice", "Subject: already there\n\nhello\n");
        var sessions = new List<RawImapClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var imap = await RawImapClient.ConnectAsync(host.Port);
                sessions.Add(imap);
                Assert.StartsWith("a1 OK", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
                Assert.Contains("* 1 EXISTS", await imap.CommandAsync("SELECT INBOX"));
                await imap.SendAsync("a3 IDLE\r\n");
                Assert.StartsWith("+ ", await imap.ReadLineAsync());
            }

            await host.DeliverAsync("alice", "Subject: for everyone\n\nhello\n");
            // Each client reads what came in IDLE: the new count, then DONE ends IDLE on a live session.
            var heard = await Task.WhenAll(sessions.Select(async imap =>
            {
                var line = await NextExistsAsync(imap);
                await imap.SendAsync("DONE\r\n");
                return (line, done: (await imap.ReadUntilTagAsync("a3"))[^1]);
            }));
            Assert.All(heard, h => Assert.Equal(("* 2 EXISTS", "a3 OK Idle completed."), h));
        }
        finally
        {
            foreach (var imap in sessions) await imap.DisposeAsync();
        }
    }

    [Fact]
    public async Task IDLE_hears_messages_another_program_drops_into_new_even_two_within_a_second()
    {
        await using var host = ImapTestHost.Start(idlePollInterval: TimeSpan.FromMilliseconds(300));
        await host.DeliverAsync("alice", "Subject: already there\n\nhello\n");
        await using var imap = await RawImapClient.ConnectAsync(host.Port);
        Assert.StartsWith("a1 OK", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
        Assert.Contains("* 1 EXISTS", await imap.CommandAsync("SELECT INBOX"));
        await imap.SendAsync("a3 IDLE\r\n");
        Assert.StartsWith("+ ", await imap.ReadLineAsync());
        // As a shell or another MTA would: a file in new/, with no word to this process.
        var newDir = Path.Combine(host.Directory, "alice", "Maildir", "new");
        await File.WriteAllTextAsync(Path.Combine(newDir, "1800000000.M1P1.elsewhere"), "Subject: dropped\r\n\r\none\r\n");
        Assert.Equal("* 2 EXISTS", await NextExistsAsync(imap));
        await File.WriteAllTextAsync(Path.Combine(newDir, "1800000000.M2P1.elsewhere"), "Subject: dropped\r\n\r\ntwo\r\n");
        Assert.Equal("* 3 EXISTS", await NextExistsAsync(imap));
        await imap.SendAsync("DONE\r\n");
        Assert.Equal("a3 OK Idle completed.", (await imap.ReadUntilTagAsync("a3"))[^1]);
    }

    private static async Task<string> NextExistsAsync(RawImapClient imap)
    {
        string line;
        do line = await imap.ReadLineAsync();
        while (!line.EndsWith(" EXISTS", StringComparison.Ordinal) && line != "<closed>");
        return line;
    }
}
