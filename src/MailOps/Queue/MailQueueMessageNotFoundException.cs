namespace MailOps.Queue;

/// <summary>No message with the given queue ID is in the queue (never was, or was delivered or removed meanwhile).</summary>
public sealed class MailQueueMessageNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="queueId"/>.</summary>
    public MailQueueMessageNotFoundException(string queueId)
        : base($"No message with queue ID '{queueId}' is in the queue.") => QueueId = queueId;

    /// <summary>Creates the exception for <paramref name="queueId"/> with the reason in <paramref name="message"/>.</summary>
    public MailQueueMessageNotFoundException(string queueId, string message)
        : base(message) => QueueId = queueId;

    /// <summary>The queue ID looked for.</summary>
    public string QueueId { get; } = "";
}
