using MailOps.Logs;

namespace MailOps.Tests.Logs;

/// <summary>Get-MailLog's filters over the real mx1 log.</summary>
public sealed class MailLogFilterTests
{
    private static readonly List<MailLogEntry> Mx1 = LogFixtures.Entries("postfix-mx1.log");

    [Fact]
    public void Filtering_by_message_id_returns_every_line_of_that_message_from_client_to_removed()
    {
        var lines = new MailLogFilter { MessageId = id => id == "<m2@example.net>" }.Apply(Mx1).ToList();
        Assert.Equal([MailLogEventKind.Client, MailLogEventKind.MessageId, MailLogEventKind.Queued, MailLogEventKind.Delivery, MailLogEventKind.Delivery, MailLogEventKind.Removed],
            lines.Select(e => e.Kind));
        Assert.Single(lines.Select(e => e.QueueId).Distinct());
    }

    [Fact]
    public void Filtering_by_recipient_finds_the_message_and_the_rejects_for_that_address()
    {
        var lines = new MailLogFilter { Recipient = r => r == "nobody@example.test" }.Apply(Mx1).ToList();
        var reject = Assert.IsType<MailLogRejectEntry>(Assert.Single(lines));
        Assert.Equal("nobody@example.test", reject.Recipient);

        var dead = new MailLogFilter { Recipient = r => r == "y@dead.test" }.Apply(Mx1).ToList();
        Assert.Contains(dead, e => e.Kind == MailLogEventKind.Client);
        Assert.Equal(2, dead.OfType<MailLogDeliveryEntry>().Count(d => d.Status == MailLogDeliveryStatus.Deferred));
    }

    [Fact]
    public void Sender_and_status_together_give_the_bounces_of_that_sender()
    {
        var bounces = new MailLogFilter { Sender = s => s == "other@example.org", Status = new HashSet<MailLogDeliveryStatus> { MailLogDeliveryStatus.Bounced } }.Apply(Mx1).ToList();
        Assert.Equal(["ghost@far.test", "x@sink.test"], bounces.Cast<MailLogDeliveryEntry>().Select(d => d.Recipient));
    }

    [Fact]
    public void Queue_id_program_and_time_filters_work_line_by_line()
    {
        var first = Mx1.OfType<MailLogClientEntry>().First();
        Assert.All(new MailLogFilter { QueueIds = new HashSet<string> { first.QueueId! } }.Apply(Mx1), e => Assert.Equal(first.QueueId, e.QueueId));
        Assert.All(new MailLogFilter { Program = p => p == "qmgr" }.Apply(Mx1), e => Assert.Equal("postfix/qmgr", e.Program));
        var late = Mx1.Max(e => e.Time);
        Assert.All(new MailLogFilter { Since = late }.Apply(Mx1), e => Assert.Equal(late, e.Time));
    }
}
