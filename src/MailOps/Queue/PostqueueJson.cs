using System.Text.Json;

namespace MailOps.Queue;

/// <summary>
/// Reads the lines <c>postqueue -j</c> prints (one JSON object per queued message: queue_name, queue_id, arrival_time in
/// Unix seconds, message_size, forced_expire, sender, recipients with address and delay_reason) as <see cref="MailQueueMessage"/>s.
/// </summary>
public static class PostqueueJson
{
    /// <summary>The message one line describes, as found on <paramref name="computerName"/>.</summary>
    /// <exception cref="FormatException">The line is not a postqueue -j record.</exception>
    public static MailQueueMessage Parse(string line, string computerName)
    {
        ArgumentNullException.ThrowIfNull(line);
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var recipients = new List<MailQueueRecipient>();
            if (root.TryGetProperty("recipients", out var list))
            {
                foreach (var recipient in list.EnumerateArray())
                {
                    var reason = recipient.TryGetProperty("delay_reason", out var r) ? r.GetString() : null;
                    recipients.Add(new MailQueueRecipient(recipient.GetProperty("address").GetString() ?? "", string.IsNullOrEmpty(reason) ? null : reason));
                }
            }
            return new MailQueueMessage
            {
                QueueName = root.GetProperty("queue_name").GetString() ?? "",
                QueueId = root.GetProperty("queue_id").GetString() ?? "",
                ArrivalTime = DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("arrival_time").GetInt64()),
                Size = root.GetProperty("message_size").GetInt64(),
                Sender = root.GetProperty("sender").GetString() ?? "",
                Recipients = recipients,
                ComputerName = computerName,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"Not a postqueue -j record: {e.Message}", e);
        }
    }

    /// <summary>Every message of a whole <c>postqueue -j</c> output; empty lines are skipped.</summary>
    public static IEnumerable<MailQueueMessage> ParseAll(TextReader output, string computerName)
    {
        ArgumentNullException.ThrowIfNull(output);
        while (output.ReadLine() is { } line)
        {
            if (line.Length > 0) yield return Parse(line, computerName);
        }
    }
}
