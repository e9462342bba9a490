using System.Net;
using System.Text.RegularExpressions;
using MailOps.Engine.Logging;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Logging;

/// <summary>Our lines against the lines Debian's Postfix 3.7 writes for the same SMTP conversation, field by field.</summary>
public sealed class MailLogPostfixShapeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-shape-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task For_one_delivered_message_and_two_rejected_recipients_our_lines_are_postfix_lines_with_only_values_changed()
    {
        using var postfix = PostfixInstance.Start("mx.example.test", "example.test", "alice");
        const string Helo = "client.example.net", Sender = "bob@example.net", Known = "alice@example.test", Unknown = "nobody@example.test";

        // Session 1: one recipient accepted, one rejected, message sent.
        string queueId, rejectedInTransaction;
        using (var smtp = await SmtpDialogue.ConnectAsync("127.0.0.1", postfix.Port))
        {
            Assert.StartsWith("250", await smtp.SendAsync($"EHLO {Helo}"));
            Assert.StartsWith("250", await smtp.SendAsync($"MAIL FROM:<{Sender}>"));
            Assert.StartsWith("250", await smtp.SendAsync($"RCPT TO:<{Known}>"));
            rejectedInTransaction = await smtp.SendAsync($"RCPT TO:<{Unknown}>");
            Assert.StartsWith("550", rejectedInTransaction);
            Assert.StartsWith("354", await smtp.SendAsync("DATA"));
            var queued = await smtp.SendAsync($"Subject: shape\r\nMessage-ID: <shape-1@example.net>\r\nFrom: {Sender}\r\nTo: {Known}\r\n\r\nhello\r\n.");
            queueId = Regex.Match(queued, @"queued as (\w+)").Groups[1].Value;
            Assert.NotEqual("", queueId);
            Assert.StartsWith("221", await smtp.SendAsync("QUIT"));
        }
        // Session 2: the only recipient rejected, so no queue id (NOQUEUE).
        string rejectedAlone;
        using (var smtp = await SmtpDialogue.ConnectAsync("127.0.0.1", postfix.Port))
        {
            await smtp.SendAsync($"EHLO {Helo}");
            await smtp.SendAsync($"MAIL FROM:<{Sender}>");
            rejectedAlone = await smtp.SendAsync($"RCPT TO:<{Unknown}>");
            await smtp.SendAsync("QUIT");
        }
        postfix.WaitForLog($"{queueId}: removed");
        var theirs = postfix.WaitForLog("disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=0/1 quit=1")
            .Split('\n').Where(l => Regex.IsMatch(l, @" postfix/(smtpd|cleanup|qmgr|virtual)\[")).ToList();

        // The same events through our writer, with values the client saw (replies, queue id), not values read from Postfix's log.
        var clientName = (await System.Net.Dns.GetHostEntryAsync(IPAddress.Loopback)).HostName;
        var client = new MailLogClient(clientName, "127.0.0.1");
        var path = Path.Combine(_dir, "mail.log");
        using (var log = new MailLog(path, postfix.Hostname))
        {
            var delays = new MailDeliveryDelays(TimeSpan.FromSeconds(0.01), TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(0.01));
            log.Connect(client);
            log.Client(queueId, client);
            log.Reject(queueId, "RCPT", client, rejectedInTransaction, Sender, Unknown, "ESMTP", Helo);
            log.MessageId(queueId, "<shape-1@example.net>");
            log.Disconnect(client, Tally(("ehlo", true), ("mail", true), ("rcpt", true), ("rcpt", false), ("data", true), ("quit", true)));
            log.QueueActive(queueId, Sender, 1, 1);
            log.Connect(client);
            log.Reject(null, "RCPT", client, rejectedAlone, Sender, Unknown, "ESMTP", Helo);
            log.Disconnect(client, Tally(("ehlo", true), ("mail", true), ("rcpt", false), ("quit", true)));
            log.Delivery("virtual", queueId, Known, null, "virtual", delays, "2.0.0", MailDeliveryStatus.Sent, "delivered to maildir");
            log.Removed(queueId);
        }
        var ours = File.ReadAllLines(path).ToList();

        Assert.True(theirs.Count == 11, "Postfix wrote:\n" + string.Join("\n", theirs));
        Assert.Equal(theirs.Select(Shape).Order(StringComparer.Ordinal), ours.Select(Shape).Order(StringComparer.Ordinal));
    }

    private static SmtpCommandTally Tally(params (string Verb, bool Ok)[] commands)
    {
        var tally = new SmtpCommandTally();
        foreach (var (verb, ok) in commands) tally.Count(verb, ok);
        return tally;
    }

    /// <summary>A line with its values replaced: timestamp, pid, syslog name, size and delays; everything else must match.</summary>
    private static string Shape(string line)
    {
        var prefix = Regex.Match(line, @"^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} (?<host>\S+) (?:postfix|mailops)/(?<program>\w+)\[\d+\]: (?<text>.*)$");
        Assert.True(prefix.Success, $"not a maillog_file line: {line}");
        var text = Regex.Replace(prefix.Groups["text"].Value, @"\b(size|delay)=[\d.]+", "$1=N");
        text = Regex.Replace(text, @"\bdelays=[\d.]+/[\d.]+/[\d.]+/[\d.]+", "delays=N/N/N/N");
        return $"TIME {prefix.Groups["host"].Value} NAME/{prefix.Groups["program"].Value}[PID]: {text}";
    }
}
