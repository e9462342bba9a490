using System.Text.Json.Serialization;
using MailOps.Hosts;

namespace MailOps.Queue;

/// <summary>
/// One message in a mail queue, with the meaning of a <c>postqueue -j</c> record (Postfix's showq): the bundled server's
/// queue and, through <see cref="PostqueueJson"/>, a Postfix queue are described by the same object.
/// </summary>
public sealed record MailQueueMessage
{
    /// <summary>The queue the message is in: incoming, active, deferred, hold or corrupt (postqueue -j's <c>queue_name</c>).</summary>
    public required string QueueName { get; init; }

    /// <summary>The queue ID (postqueue -j's <c>queue_id</c>).</summary>
    public required string QueueId { get; init; }

    /// <summary>When the message was accepted (postqueue -j's <c>arrival_time</c>).</summary>
    public required DateTimeOffset ArrivalTime { get; init; }

    /// <summary>The size of the message content in bytes (postqueue -j's <c>message_size</c>).</summary>
    public required long Size { get; init; }

    /// <summary>The envelope sender (MAIL FROM); empty for the null sender of a bounce (postqueue -j's <c>sender</c>).</summary>
    public required string Sender { get; init; }

    /// <summary>The recipients still to be delivered, each with its delay reason (postqueue -j's <c>recipients</c>).</summary>
    public required IReadOnlyList<MailQueueRecipient> Recipients { get; init; }

    /// <summary>Delivery attempts made so far; null where the queue does not say (postqueue -j has no such field).</summary>
    public int? Attempts { get; init; }

    /// <summary>When a deferred message is due for its next attempt; null when not deferred or not known.</summary>
    public DateTimeOffset? NextAttempt { get; init; }

    /// <summary>The machine whose queue holds the message.</summary>
    public required string ComputerName { get; init; }

    /// <summary>The name of the server in this PowerShell session whose queue it is; null when found through a configuration file.</summary>
    public string? Server { get; init; }

    /// <summary>The bundled server's configuration file naming the queue; null for the default or a Postfix queue.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>A Postfix queue's configuration directory (postqueue -c); null for the host's default or the bundled server.</summary>
    public string? ConfigDirectory { get; init; }

    /// <summary>The host session a Postfix queue was listed through (so the message pipes back to that host); null for the bundled server.</summary>
    [JsonIgnore]
    public MailHostSession? Session { get; init; }

    /// <summary>How long ago the message arrived.</summary>
    public TimeSpan Age => DateTimeOffset.UtcNow - ArrivalTime;

    /// <inheritdoc />
    public override string ToString() => $"{QueueId} {QueueName} {Size} <{Sender}> {string.Join(", ", Recipients)}";
}
