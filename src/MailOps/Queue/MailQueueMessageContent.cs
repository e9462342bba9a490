using MimeKit;

namespace MailOps.Queue;

/// <summary>
/// What is inside one queued message (what <c>postcat -q</c> shows): its envelope (sender, recipients, arrival), its
/// header fields in order, its readable body, and the whole message parsed by MimeKit for anything further.
/// </summary>
public sealed class MailQueueMessageContent
{
    private MailQueueMessageContent(MimeMessage message, string queueId, string queueName, string sender, IReadOnlyList<string> recipients, DateTimeOffset? arrivalTime, long size, string computerName)
    {
        Message = message;
        QueueId = queueId;
        QueueName = queueName;
        Sender = sender;
        Recipients = recipients;
        ArrivalTime = arrivalTime;
        Size = size;
        ComputerName = computerName;
    }

    /// <summary>The queue ID.</summary>
    public string QueueId { get; }

    /// <summary>The queue the message is in (incoming, active, deferred, hold, corrupt).</summary>
    public string QueueName { get; }

    /// <summary>The envelope sender (MAIL FROM); empty for the null sender.</summary>
    public string Sender { get; }

    /// <summary>The envelope recipients (RCPT TO) the queue file holds.</summary>
    public IReadOnlyList<string> Recipients { get; }

    /// <summary>When the message was accepted; null when the queue file does not say.</summary>
    public DateTimeOffset? ArrivalTime { get; }

    /// <summary>The size of the content in bytes.</summary>
    public long Size { get; }

    /// <summary>The header's Subject.</summary>
    public string? Subject => Message.Subject;

    /// <summary>The header's From.</summary>
    public string From => Message.From.ToString();

    /// <summary>The header's Message-ID.</summary>
    public string? MessageId => Message.MessageId;

    /// <summary>The header fields in the order they appear.</summary>
    public IReadOnlyList<Header> Headers => [.. Message.Headers];

    /// <summary>The body as text: the plain-text part, else the HTML part, else empty.</summary>
    public string Body => Message.TextBody ?? Message.HtmlBody ?? "";

    /// <summary>The whole message parsed by MimeKit (attachments, MIME structure, <c>WriteTo</c> to save it).</summary>
    public MimeMessage Message { get; }

    /// <summary>The machine whose queue holds the message.</summary>
    public string ComputerName { get; }

    /// <summary>Parses <paramref name="content"/> (the message as RFC 5322 text) with its envelope.</summary>
    public static MailQueueMessageContent FromContent(ReadOnlyMemory<byte> content, string queueId, string queueName, string sender, IReadOnlyList<string> recipients, DateTimeOffset? arrivalTime, string computerName)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return FromStream(stream, queueId, queueName, sender, recipients, arrivalTime, computerName);
    }

    /// <summary>Parses the message read from <paramref name="content"/> with its envelope.</summary>
    public static MailQueueMessageContent FromStream(Stream content, string queueId, string queueName, string sender, IReadOnlyList<string> recipients, DateTimeOffset? arrivalTime, string computerName)
    {
        ArgumentNullException.ThrowIfNull(content);
        var message = MimeMessage.Load(content);
        var size = content.CanSeek ? content.Length : 0;
        return new MailQueueMessageContent(message, queueId, queueName, sender, recipients, arrivalTime, size, computerName);
    }

    /// <inheritdoc />
    public override string ToString() => $"{QueueId} <{Sender}> {Subject}";
}
