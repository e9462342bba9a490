using MailOps.Engine.Queue;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>Connection limits and graceful stop of the listener.</summary>
public sealed class SmtpListenerTests
{
    private static string Code(string reply) => reply.Length >= 9 ? reply[..9] : reply;

    [Fact]
    public async Task A_client_over_its_connection_limit_gets_421_4_7_0()
    {
        await using var server = TestServer.Start(configure: o => o with { MaxConnectionsPerClient = 2 });
        await using var first = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await using var second = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await using var third = await RawSmtpClient.ConnectAsync(server.Port);
        Assert.Equal("421 4.7.0", Code(await third.ReadReplyAsync()));
        Assert.True(await third.IsClosedAsync());
        // What smtpd warns for smtpd_client_connection_count_limit.
        var warning = Assert.Single(server.Events.All, e => e.Kind == MailOps.Engine.Smtp.SmtpSessionEventKind.LimitExceeded);
        Assert.Equal(("Connection concurrency limit exceeded: 3", "smtp"), (warning.Text, warning.Service));
        await first.CommandAsync("QUIT");
        await SmtpProtocolTests.WaitUntil(() => server.Listener.ActiveSessions == 1);
        await using var fourth = await RawSmtpClient.ConnectAsync(server.Port);
        Assert.StartsWith("220 ", await fourth.ReadReplyAsync());
    }

    [Fact]
    public async Task Over_the_total_connection_limit_new_clients_get_421_4_7_0()
    {
        await using var server = TestServer.Start(configure: o => o with { MaxConnections = 1 });
        await using var first = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await using var second = await RawSmtpClient.ConnectAsync(server.Port);
        Assert.Equal("421 4.7.0", Code(await second.ReadReplyAsync()));
    }

    [Fact]
    public async Task On_stop_idle_sessions_get_421_4_3_2_and_a_message_in_DATA_still_finishes_and_is_queued()
    {
        await using var server = TestServer.Start(configure: o => o with { ShutdownGrace = TimeSpan.FromSeconds(20) });
        await using var idle = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await using var sending = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await sending.CommandAsync("MAIL FROM:<a@remote.test>");
        await sending.CommandAsync("RCPT TO:<alice@local.test>");
        await sending.CommandAsync("DATA");
        await sending.SendAsync("Subject: during shutdown\r\n\r\n");

        Task stop = server.Listener.StopAsync();
        Assert.Equal("421 4.3.2", Code(await idle.ReadReplyAsync()));
        await Task.Delay(200);
        Assert.False(stop.IsCompleted);
        Assert.StartsWith("250 2.0.0 Ok: queued as", await sending.CommandAsync("body\r\n."));
        Assert.Equal("421 4.3.2", Code(await sending.ReadReplyAsync())); // the next command is not waited for
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(server.Queue.List(QueueState.Incoming));
    }

    [Fact]
    public async Task On_stop_a_message_still_in_DATA_at_the_deadline_gets_421_4_3_2_and_is_not_queued()
    {
        await using var server = TestServer.Start(configure: o => o with { ShutdownGrace = TimeSpan.FromMilliseconds(500) });
        await using var sending = await RawSmtpClient.ConnectAndHelloAsync(server.Port);
        await sending.CommandAsync("MAIL FROM:<a@remote.test>");
        await sending.CommandAsync("RCPT TO:<alice@local.test>");
        await sending.CommandAsync("DATA");
        await sending.SendAsync("Subject: too slow\r\n\r\n");
        await server.Listener.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("421 4.3.2", Code(await sending.ReadReplyAsync()));
        Assert.Empty(Directory.GetFiles(server.Queue.DirectoryOf(QueueState.Incoming)));
    }

    [Fact]
    public async Task A_stopped_listener_accepts_no_more_connections()
    {
        await using var server = TestServer.Start();
        int port = server.Port;
        await server.Listener.StopAsync();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => RawSmtpClient.ConnectAsync(port));
    }
}
