using MailOps.Logs;

namespace MailOps.Tests.Logs;

/// <summary>Messages followed through the real logs of two Postfix hosts and Dovecot.</summary>
public sealed class MailMessageTracerTests
{
    private static readonly List<MailLogEntry> All =
        [.. LogFixtures.Entries("postfix-mx1.log"), .. LogFixtures.Entries("postfix-mx2.log"), .. LogFixtures.Entries("dovecot.log")];

    [Fact]
    public void A_message_relayed_to_a_second_postfix_is_followed_to_its_mailbox_there()
    {
        var trace = Assert.Single(new MailMessageTracer { MessageId = id => id == "<m3@example.org>" }.Trace(() => All));
        Assert.Equal(["mx1", "mx2"], trace.Hops.Select(h => h.HostName));
        Assert.Equal(["smtpd", "cleanup", "qmgr", "smtp"], trace.Hops[0].Programs);
        Assert.Equal(trace.Hops[1].QueueId, trace.Hops[0].Entries.OfType<MailLogDeliveryEntry>().Single().NextQueueId);
        var zoe = Assert.Single(trace.Recipients);
        Assert.Equal(("zoe@far.test", MailLogDeliveryStatus.Sent, "mx2", "virtual"), (zoe.Recipient, zoe.Status, zoe.HostName!, zoe.Relay!));
        Assert.Equal(2, zoe.Attempts);
        Assert.Equal(MailLogDeliveryStatus.Sent, trace.Status);
        Assert.Equal("other@example.org", trace.Sender);
        Assert.True(trace.TotalDelay >= TimeSpan.Zero);
    }

    [Fact]
    public void A_message_handed_to_dovecot_lmtp_ends_in_each_users_inbox()
    {
        var trace = Assert.Single(new MailMessageTracer { Recipient = r => r == "dan@lmtp.test" }.Trace(() => All));
        Assert.Equal("<m7@example.org>", trace.MessageId);
        Assert.Equal(2, trace.Hops.Count);
        Assert.Equal(["lmtp"], trace.Hops[1].Programs);
        Assert.All(trace.Recipients, r => Assert.Equal(("INBOX", "dovecot", MailLogDeliveryStatus.Sent), (r.Mailbox!, r.Relay!, r.Status)));
        Assert.Equal(["carol@lmtp.test", "dan@lmtp.test"], trace.Recipients.Select(r => r.Recipient));
    }

    [Fact]
    public void A_bounced_message_names_its_notification_and_a_deferred_one_stays_deferred()
    {
        var bounced = Assert.Single(new MailMessageTracer { Recipient = r => r == "ghost@far.test" }.Trace(() => All));
        Assert.Equal(MailLogDeliveryStatus.Bounced, bounced.Status);
        Assert.Single(bounced.Notifications);
        Assert.Equal("5.1.1", bounced.Recipients.Single().Dsn);

        var deferred = Assert.Single(new MailMessageTracer { Recipient = r => r == "y@dead.test" }.Trace(() => All));
        Assert.Equal(MailLogDeliveryStatus.Deferred, deferred.Status);
        Assert.Equal(2, deferred.Recipients.Single().Attempts);
        Assert.False(deferred.Hops.Single().Removed);
    }

    [Fact]
    public void A_locally_forwarded_message_is_followed_to_its_new_queue_id()
    {
        var trace = Assert.Single(new MailMessageTracer { MessageId = id => id == "<m8@example.org>" }.Trace(() => All));
        Assert.Equal(2, trace.Hops.Count);
        var alice = Assert.Single(trace.Recipients);
        Assert.Equal(("alice@example.test", "fwd@local.test", "virtual"), (alice.Recipient, alice.OriginalRecipient!, alice.Relay!));
    }

    [Fact]
    public void Sender_and_recipient_together_select_only_the_messages_with_both()
    {
        var trace = Assert.Single(new MailMessageTracer { Sender = s => s == "other@example.org", Recipient = r => r == "x@sink.test" }.Trace(() => All));
        Assert.Equal(MailLogDeliveryStatus.Bounced, trace.Status);
        Assert.Empty(new MailMessageTracer { Sender = s => s == "sender@example.net", Recipient = r => r == "x@sink.test" }.Trace(() => All));
    }

    [Fact]
    public void A_sender_matches_each_of_its_messages_once()
    {
        var traces = new MailMessageTracer { Sender = s => s == "other@example.org" }.Trace(() => All);
        Assert.Equal(traces.Count, traces.Select(t => t.MessageId).Distinct().Count());
        Assert.Contains(traces, t => t.MessageId == "<m3@example.org>");
        Assert.DoesNotContain(traces, t => t.MessageId == "<m1@example.net>");
    }
}
