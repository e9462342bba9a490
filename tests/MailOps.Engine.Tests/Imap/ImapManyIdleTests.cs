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
                string line;
                do line = await imap.ReadLineAsync();
                while (line != "* 2 EXISTS" && line != "<closed>");
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
}
