using System.Net;
using System.Text.RegularExpressions;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Logging;

/// <summary>The same SMTP dialogues against Debian's Postfix 3.7 and our server: the smtpd and cleanup lines must match field by field.</summary>
public sealed class SmtpSessionLogPostfixShapeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-sessionshape-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task A_delivery_with_a_rejected_recipient_a_lone_reject_and_a_lost_connection_log_the_smtpd_lines_postfix_logs()
    {
        using var postfix = PostfixInstance.Start("mx.example.test", "example.test", "alice");
        var theirQueueId = await DialoguesAsync(postfix.Port);
        var theirs = postfix.WaitForLog("disconnect from localhost[127.0.0.1] ehlo=1 mail=1 commands=2")
            .Split('\n').Where(l => Regex.IsMatch(l, @" postfix/(smtpd|cleanup)\[")).ToList();

        List<string> ours;
        string ourQueueId;
        // Postfix's instance relays for 127.0.0.0/8; so does ours here, so both answer the same dialogue the same way.
        await using (var server = await EmbeddedMailServer.StartAsync(Path.Combine(_dir, "server"), "example.test", [IPNetwork.Parse("127.0.0.0/8")], "secret", "alice"))
        {
            ourQueueId = await DialoguesAsync(server.Port("SMTP"));
            ours = server.WaitForLog(l => l.Contains("disconnect from unknown[127.0.0.1] ehlo=1 mail=1 commands=2"), "the third session's end")
                .Split('\n').Where(l => Regex.IsMatch(l, @" mailops/(smtpd|cleanup)\[")).ToList();
        }

        Assert.True(theirs.Count == 11, "Postfix wrote:\n" + string.Join("\n", theirs));
        Assert.Equal(
            theirs.Select(l => Shape(l, theirQueueId)).Order(StringComparer.Ordinal),
            ours.Select(l => Shape(l, ourQueueId)).Order(StringComparer.Ordinal));
    }

    /// <summary>Three sessions: a message with one of two recipients rejected; a lone rejected recipient; a client that leaves after MAIL.</summary>
    private static async Task<string> DialoguesAsync(int port)
    {
        const string Helo = "client.example.net", Sender = "bob@example.net";
        string queueId;
        using (var smtp = await SmtpDialogue.ConnectAsync("127.0.0.1", port))
        {
            Assert.StartsWith("250", await smtp.SendAsync($"EHLO {Helo}"));
            Assert.StartsWith("250", await smtp.SendAsync($"MAIL FROM:<{Sender}>"));
            Assert.StartsWith("250", await smtp.SendAsync("RCPT TO:<alice@example.test>"));
            Assert.StartsWith("550 5.1.1", await smtp.SendAsync("RCPT TO:<nobody@example.test>"));
            Assert.StartsWith("354", await smtp.SendAsync("DATA"));
            var queued = await smtp.SendAsync($"Subject: shape\r\nMessage-ID: <shape-1@example.net>\r\nFrom: {Sender}\r\n\r\nhello\r\n.");
            queueId = Regex.Match(queued, @"queued as (\w+)").Groups[1].Value;
            Assert.NotEqual("", queueId);
            Assert.StartsWith("221", await smtp.SendAsync("QUIT"));
        }
        using (var smtp = await SmtpDialogue.ConnectAsync("127.0.0.1", port))
        {
            await smtp.SendAsync($"EHLO {Helo}");
            await smtp.SendAsync($"MAIL FROM:<{Sender}>");
            Assert.StartsWith("550 5.1.1", await smtp.SendAsync("RCPT TO:<nobody@example.test>"));
            await smtp.SendAsync("QUIT");
        }
        using (var smtp = await SmtpDialogue.ConnectAsync("127.0.0.1", port))
        {
            await smtp.SendAsync($"EHLO {Helo}");
            await smtp.SendAsync($"MAIL FROM:<{Sender}>");
        }
        return queueId;
    }

    /// <summary>
    /// A line with its values replaced: timestamp, pid, syslog name, the queue id, and the client's name (Postfix looks
    /// up localhost; our server does no reverse DNS, so it writes unknown, as Postfix does for a client without a name).
    /// </summary>
    private static string Shape(string line, string queueId)
    {
        var prefix = Regex.Match(line, @"^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} (?<host>\S+) (?:postfix|mailops)/(?<program>\w+)\[\d+\]: (?<text>.*)$");
        Assert.True(prefix.Success, $"not a maillog_file line: {line}");
        var text = prefix.Groups["text"].Value.Replace(queueId, "QUEUEID");
        text = Regex.Replace(text, @"\b(localhost|unknown)\[127\.0\.0\.1\]", "NAME[127.0.0.1]");
        return $"TIME {prefix.Groups["host"].Value} NAME/{prefix.Groups["program"].Value}[PID]: {text}";
    }
}
