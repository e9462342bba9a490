using MailOps.Queue;

namespace MailOps.Tests.Queue;

/// <summary>The conditions Get-MailQueue's parameters become, on messages as a listing describes them.</summary>
public sealed class MailQueueFilterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static MailQueueMessage Message(string sender, string queue = "deferred", double hoursAgo = 1, params string[] recipients) => new()
    {
        QueueName = queue,
        QueueId = "4jc3zj0j7Jz4YCy8",
        ArrivalTime = Now.AddHours(-hoursAgo),
        Size = 1000,
        Sender = sender,
        Recipients = recipients.Select(r => new MailQueueRecipient(r)).ToList(),
        ComputerName = "mx",
    };

    [Theory]
    [InlineData("*@spam.test", "promo@spam.test", true)]
    [InlineData("*@spam.test", "promo@SPAM.TEST", true)]
    [InlineData("*@spam.test", "promo@spam.test.example", false)]
    [InlineData("*@spam.test", "promo@notspam.test", false)]
    [InlineData("promo?@spam.test", "promo1@spam.test", true)]
    [InlineData("[a-c]*@example.test", "bob@example.test", true)]
    [InlineData("[a-c]*@example.test", "dave@example.test", false)]
    [InlineData("a.b+c@example.test", "a.b+c@example.test", true)]
    [InlineData("a.b+c@example.test", "aXb+c@example.test", false)]
    [InlineData("<>", "", true)]
    [InlineData("<>", "bob@example.test", false)]
    [InlineData("*", "", true)]
    public void A_sender_pattern_matches_as_a_shell_wildcard_without_regard_to_case(string pattern, string sender, bool matches) =>
        Assert.Equal(matches, new MailQueueFilter { Senders = [pattern] }.Matches(Message(sender), Now));

    [Fact]
    public void Every_condition_given_must_hold()
    {
        var message = Message("bob@example.test", "hold", 3, "carol@remote.test", "dave@other.test");
        Assert.True(MailQueueFilter.All.Matches(message, Now));
        Assert.True(new MailQueueFilter { Recipients = ["dave@*"], Queues = ["HOLD"], OlderThan = TimeSpan.FromHours(2) }.Matches(message, Now));
        Assert.False(new MailQueueFilter { Recipients = ["dave@*"], Queues = ["deferred"] }.Matches(message, Now));
        Assert.False(new MailQueueFilter { Recipients = ["erin@*"] }.Matches(message, Now));
        Assert.False(new MailQueueFilter { OlderThan = TimeSpan.FromHours(4) }.Matches(message, Now));
        Assert.False(new MailQueueFilter { QueueIds = ["4jc3zj0j7Jz4YCy9"] }.Matches(message, Now));
        Assert.True(new MailQueueFilter { QueueIds = ["other", "4jc3zj0j7Jz4YCy8"] }.Matches(message, Now));
    }
}
