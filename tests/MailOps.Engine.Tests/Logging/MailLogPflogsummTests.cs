using MailOps.Engine.Logging;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Logging;

/// <summary>The proof that our log is Postfix's log: Debian's pflogsumm 1.1.5 reads it and counts what we wrote.</summary>
public sealed class MailLogPflogsummTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-pflogsumm-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private enum Fate { Delivered, Deferred, Bounced }

    private sealed record Message(string QueueId, string Sender, string[] Recipients, long Size, Fate Fate);

    [Fact]
    public void Pflogsumm_counts_what_the_mail_log_says_was_received_delivered_deferred_bounced_and_rejected()
    {
        var random = new Random(20261128);
        string[] senders = ["bob@example.net", "carol@example.org", "dave@example.com"];
        string[] locals = ["alice@example.test", "erin@example.test", "frank@example.test", "grace@example.test"];
        var messages = Enumerable.Range(0, 60).Select(i =>
        {
            var fate = (i % 10) switch { 7 => Fate.Deferred, 8 => Fate.Bounced, _ => Fate.Delivered };
            var recipients = fate == Fate.Delivered
                ? locals.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToArray()
                : [$"user{i}@remote.example"];
            return new Message($"4F{i:X3}B1E5{i % 10}", senders[random.Next(senders.Length)], recipients, random.Next(300, 8000), fate);
        }).ToList();
        const int Rejected = 7;

        var path = Path.Combine(_dir, "mail.log");
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 28, 5, 30, 0, TimeSpan.Zero));
        var client = new MailLogClient("mail.example.net", "192.0.2.25");
        using (var log = new MailLog(path, "mx.example.test", clock))
        {
            var delays = new MailDeliveryDelays(TimeSpan.FromSeconds(0.05), TimeSpan.FromSeconds(0.01), TimeSpan.Zero, TimeSpan.FromSeconds(0.02));
            foreach (var m in messages)
            {
                clock.Advance(TimeSpan.FromSeconds(7));
                var tally = new SmtpCommandTally();
                log.Connect(client);
                log.Client(m.QueueId, client, m.Sender.StartsWith("bob") ? "PLAIN" : null, m.Sender.StartsWith("bob") ? "bob" : null);
                log.MessageId(m.QueueId, $"{m.QueueId}@example.net");
                foreach (var verb in new[] { "ehlo", "mail" }.Concat(m.Recipients.Select(_ => "rcpt")).Concat(["data", "quit"])) tally.Count(verb, true);
                log.Disconnect(client, tally);
                log.QueueActive(m.QueueId, m.Sender, m.Size, m.Recipients.Length);
                foreach (var r in m.Recipients)
                {
                    switch (m.Fate)
                    {
                        case Fate.Delivered:
                            log.Delivery("virtual", m.QueueId, r, null, "virtual", delays, "2.0.0", MailDeliveryStatus.Sent, "delivered to maildir");
                            break;
                        case Fate.Deferred:
                            // Two attempts: pflogsumm counts one deferred message and two deferrals.
                            log.Delivery("smtp", m.QueueId, r, null, "none", delays, "4.4.1", MailDeliveryStatus.Deferred, "connect to mx.remote.example[198.51.100.7]:25: Connection refused");
                            clock.Advance(TimeSpan.FromMinutes(5));
                            log.Delivery("smtp", m.QueueId, r, null, "none", delays, "4.4.1", MailDeliveryStatus.Deferred, "connect to mx.remote.example[198.51.100.7]:25: Connection refused");
                            break;
                        case Fate.Bounced:
                            log.Delivery("smtp", m.QueueId, r, null, "mx.remote.example[198.51.100.7]:25", delays, "5.1.1", MailDeliveryStatus.Bounced,
                                $"host mx.remote.example[198.51.100.7] said: 550 5.1.1 <{r}>: Recipient address rejected: User unknown (in reply to RCPT TO command)");
                            var notice = "9" + m.QueueId[1..];
                            log.MessageId(notice, $"{notice}@mx.example.test");
                            log.NonDeliveryNotification(m.QueueId, notice);
                            log.QueueActive(notice, "", 2400, 1);
                            break;
                    }
                }
                if (m.Fate != Fate.Deferred) log.Removed(m.QueueId);
            }
            for (var i = 0; i < Rejected; i++)
            {
                var spammer = new MailLogClient("unknown", $"203.0.113.{i + 1}");
                log.Connect(spammer);
                log.Reject(null, "RCPT", spammer, $"550 5.1.1 <nobody{i}@example.test>: Recipient address rejected: User unknown in virtual mailbox table",
                    "spam@example.biz", $"nobody{i}@example.test", "ESMTP", "spam.example.biz");
                var tally = new SmtpCommandTally();
                tally.Count("ehlo", true); tally.Count("mail", true); tally.Count("rcpt", false); tally.Count("quit", true);
                log.Disconnect(spammer, tally);
            }
            log.Warning("smtpd", "hostname mail.example.net does not resolve to address 192.0.2.25");
        }

        var report = Pflogsumm.Report(path);

        Assert.Equal(messages.Count, Pflogsumm.GrandTotal(report, "received"));
        Assert.Equal(messages.Where(m => m.Fate == Fate.Delivered).Sum(m => m.Recipients.Length), Pflogsumm.GrandTotal(report, "delivered"));
        Assert.Equal(messages.Count(m => m.Fate == Fate.Deferred), Pflogsumm.GrandTotal(report, "deferred"));
        Assert.Matches($@"\({2 * messages.Count(m => m.Fate == Fate.Deferred)}\s+deferrals\)", report);
        Assert.Equal(messages.Count(m => m.Fate == Fate.Bounced), Pflogsumm.GrandTotal(report, "bounced"));
        Assert.Equal(Rejected, Pflogsumm.GrandTotal(report, "rejected"));
        Assert.Equal(messages.Sum(m => m.Size), Pflogsumm.GrandTotal(report, "bytes received"));

        var sendersSeen = Pflogsumm.Table(report, "Senders by message count");
        var sendersWritten = messages.GroupBy(m => m.Sender).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(sendersWritten.OrderBy(p => p.Key), sendersSeen.OrderBy(p => p.Key));

        var recipientsSeen = Pflogsumm.Table(report, "Recipients by message count");
        var recipientsWritten = messages.Where(m => m.Fate == Fate.Delivered).SelectMany(m => m.Recipients).GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(recipientsWritten.OrderBy(p => p.Key), recipientsSeen.OrderBy(p => p.Key));

        Assert.Matches(@"User unknown in virtual mailbox table \(total: 7\)", report);
        Assert.Contains("hostname mail.example.net does not resolve", report);
    }
}
