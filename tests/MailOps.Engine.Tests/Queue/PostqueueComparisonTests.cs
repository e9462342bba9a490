using System.Diagnostics;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailOps.Engine.Configuration;
using MailOps.Engine.Tests.Server;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Queue;
using MimeKit;

namespace MailOps.Engine.Tests.Queue;

/// <summary>
/// Our queue objects against Debian's Postfix: the same message, deferred by both servers because their relay host
/// refuses connections, read from <c>postqueue -j</c> through <see cref="PostqueueJson"/> and from Get-MailQueue's listing.
/// </summary>
public sealed class PostqueueComparisonTests : IDisposable
{
    private readonly TestMailSite _site = new();
    private readonly int _closedPort = TestMailSite.FreePort();

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task A_message_deferred_by_Postfix_and_by_MailOps_is_described_alike()
    {
        using var postfix = PostfixInstance.Start("mx.postfix.test", "postfix.test", "nobody");
        var conf = Path.Combine(postfix.Directory, "conf");
        File.AppendAllText(Path.Combine(conf, "main.cf"), $"relayhost = [127.0.0.1]:{_closedPort}\n");
        Run("postfix", "-c", conf, "reload");
        postfix.WaitForLog("reload");
        await using var server = await MailServer.StartAsync(_site.Config(relayHost: new MailRelayHost("127.0.0.1", _closedPort, MxLookup: false)), "compare");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var ours = await SendAsync(_site.MtaPort);
        var theirs = await SendAsync(postfix.Port);

        postfix.WaitForLog($"{theirs}: to=<dave@remote.test>");
        var postfixMessage = PostqueueJson.ParseAll(new StringReader(Run("postqueue", "-c", conf, "-j")), "postfix").Single();
        await TestMailSite.WaitUntilAsync(() => _site.Queue.Find(ours) == Engine.Queue.QueueState.Deferred, "ours is deferred");
        var ourMessage = await Engine.Queue.QueueListing.FindAsync(_site.Queue, ours, CancellationToken.None);

        Assert.NotNull(ourMessage);
        Assert.Equal(theirs, postfixMessage.QueueId);
        Assert.Equal(postfixMessage.QueueName, ourMessage.QueueName);
        Assert.Equal("deferred", ourMessage.QueueName);
        Assert.Equal(postfixMessage.Sender, ourMessage.Sender);
        Assert.Equal(postfixMessage.Recipients.Select(r => r.Address).Order(), ourMessage.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal));
        // delay_reason: the same words for the same failure.
        var refused = $"connect to 127.0.0.1[127.0.0.1]:{_closedPort}: Connection refused";
        Assert.All(postfixMessage.Recipients, r => Assert.Equal(refused, r.DelayReason));
        Assert.All(ourMessage.Recipients, r => Assert.Equal(refused, r.DelayReason));
        Assert.InRange(postfixMessage.ArrivalTime, before.AddSeconds(-1), DateTimeOffset.UtcNow);
        Assert.InRange(ourMessage.ArrivalTime, before, DateTimeOffset.UtcNow);
        // message_size counts the queued content with CRLF line ends, the sender's bytes plus the server's Received: header.
        var postfixContent = Run("postcat", "-c", conf, "-hb", "-q", theirs).ReplaceLineEndings("\r\n");
        Assert.Equal(postfixContent.Length, postfixMessage.Size);
        using (var content = _site.Queue.OpenContent(Engine.Queue.QueueState.Deferred, ours)) Assert.Equal(content.Length, ourMessage.Size);
        var sent = Message().ToString().ReplaceLineEndings("\r\n").Length;
        Assert.InRange(postfixMessage.Size, sent + 1, sent + 400);
        Assert.InRange(ourMessage.Size, sent + 1, sent + 400);
    }

    private static MimeMessage Message()
    {
        var message = new MimeMessage { Subject = "compare", MessageId = "compare-1@example.test", Date = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) };
        message.From.Add(MailboxAddress.Parse("bob@example.test"));
        message.To.Add(MailboxAddress.Parse("carol@remote.test"));
        message.To.Add(MailboxAddress.Parse("dave@remote.test"));
        message.Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat("a line of the body\n", 20)) };
        return message;
    }

    private static async Task<string> SendAsync(int port)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None);
        var reply = await client.SendAsync(Message());
        await client.DisconnectAsync(true);
        return Regex.Match(reply, @"queued as (\w+)").Groups[1].Value;
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {error}");
        return output;
    }
}
