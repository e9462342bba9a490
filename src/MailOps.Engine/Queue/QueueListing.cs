using System.Runtime.CompilerServices;
using System.Text.Json;
using MailOps.Queue;

namespace MailOps.Engine.Queue;

/// <summary>
/// Postfix's showq: describes the messages of a <see cref="MailQueue"/> as <see cref="MailQueueMessage"/>s with
/// <c>postqueue -j</c>'s meaning (the recipients still to be delivered, each with the reason of its last delay).
/// </summary>
public static class QueueListing
{
    /// <summary>The name of a queue state as Postfix writes it: incoming, active, deferred, hold, corrupt.</summary>
    public static string NameOf(QueueState state) => state.ToString().ToLowerInvariant();

    /// <summary>The messages <paramref name="filter"/> selects, queue by queue (incoming, active, deferred, hold, corrupt), oldest first in each.</summary>
    public static async IAsyncEnumerable<MailQueueMessage> ListAsync(MailQueue queue, MailQueueFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(filter);
        var now = DateTimeOffset.UtcNow;
        // Every queue is read before the first message is described: a pipeline that moves what it gets (to hold, say)
        // must not meet the same message again in the next queue.
        var snapshot = new List<(QueueState State, IReadOnlyList<string> Ids)>();
        foreach (var state in Enum.GetValues<QueueState>())
        {
            if (!filter.SelectsQueue(NameOf(state))) continue;
            snapshot.Add((state, filter.QueueIds is { Count: > 0 } wanted
                ? wanted.Where(id => QueueId.IsValid(id) && queue.Find(id) == state).Distinct(StringComparer.Ordinal).ToList()
                : queue.List(state)));
        }
        foreach (var (state, ids) in snapshot)
        {
            foreach (var id in ids)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var message = await DescribeAsync(queue, state, id, cancellationToken).ConfigureAwait(false);
                if (message is not null && filter.Matches(message, now)) yield return message;
            }
        }
    }

    /// <summary>The message <paramref name="queueId"/> wherever it is, or null when it is not in the queue.</summary>
    public static async Task<MailQueueMessage?> FindAsync(MailQueue queue, string queueId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        // Twice: the queue manager may move the message between finding its state and reading it.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (!QueueId.IsValid(queueId) || queue.Find(queueId) is not { } state) return null;
            if (await DescribeAsync(queue, state, queueId, cancellationToken).ConfigureAwait(false) is { } message) return message;
        }
        return null;
    }

    /// <summary>The message as its envelope describes it in <paramref name="state"/>.</summary>
    public static MailQueueMessage Describe(Envelope envelope, QueueState state)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return new MailQueueMessage
        {
            QueueName = NameOf(state),
            QueueId = envelope.QueueId,
            ArrivalTime = envelope.ArrivalTime,
            Size = envelope.Size,
            Sender = envelope.Sender,
            // As showq: only the recipients still to be delivered are listed.
            Recipients = envelope.Recipients
                .Where(r => r.Status is RecipientStatus.Pending or RecipientStatus.Deferred or RecipientStatus.Delivering)
                .Select(r => new MailQueueRecipient(r.Address, r.Status == RecipientStatus.Deferred ? DelayReasonOf(r.LastResponse) : null))
                .ToList(), // not an array: PowerShell would take $m.Recipients.Address for the array's Address method
            Attempts = envelope.Attempts,
            NextAttempt = state == QueueState.Deferred ? envelope.NextAttempt : null,
            ComputerName = Environment.MachineName,
        };
    }

    // A message moved or removed meanwhile gives null; an unreadable one in corrupt/ is described from its file alone.
    internal static async Task<MailQueueMessage?> DescribeAsync(MailQueue queue, QueueState state, string id, CancellationToken cancellationToken)
    {
        try
        {
            var envelope = await queue.ReadEnvelopeAsync(state, id, cancellationToken).ConfigureAwait(false);
            envelope.QueueId = id;
            return Describe(envelope, state);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (state == QueueState.Corrupt && e is IOException or InvalidDataException or JsonException)
        {
            var file = new FileInfo(Path.Combine(queue.DirectoryOf(state), id + ".eml"));
            return new MailQueueMessage
            {
                QueueName = NameOf(state), QueueId = id, ArrivalTime = file.LastWriteTimeUtc, Size = file.Exists ? file.Length : 0,
                Sender = "", Recipients = new List<MailQueueRecipient>(), ComputerName = Environment.MachineName,
            };
        }
    }

    // postqueue -j's delay_reason is the text after the enhanced status code our envelope keeps first ("4.4.1 connect to ...").
    private static string? DelayReasonOf(string? response)
    {
        if (string.IsNullOrEmpty(response)) return null;
        var space = response.IndexOf(' ');
        var first = space > 0 ? response[..space] : "";
        return first.Split('.').Length == 3 && char.IsAsciiDigit(first[0]) ? response[(space + 1)..] : response;
    }
}
