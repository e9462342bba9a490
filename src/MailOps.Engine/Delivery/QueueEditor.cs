using MailOps.Engine.Logging;
using MailOps.Engine.Queue;
using MailOps.Queue;

namespace MailOps.Engine.Delivery;

/// <summary>
/// Changes queue files directly, as Postfix's postsuper does: hold, release, delete (with an optional notice to the
/// sender) and making a deferred message due. The caller makes sure nothing else touches the message meanwhile: the
/// queue manager's reservation of it (<see cref="LocalDeliveryAgent"/>), or the <see cref="QueueLock"/> when no server runs.
/// </summary>
public sealed class QueueEditor
{
    /// <summary>The reason a notice gives for each recipient of a message the administrator deleted.</summary>
    public const string DeletedReason = "5.0.0 message removed from the queue by the mail administrator";

    private readonly MailQueue _queue;
    private readonly NonDeliveryNotifier? _notifier;
    private readonly MailLog? _log;

    /// <summary>Creates the editor; <paramref name="notifier"/> sends the notices of <see cref="DeleteAsync"/>.</summary>
    public QueueEditor(MailQueue queue, NonDeliveryNotifier? notifier, MailLog? log)
    {
        _queue = queue;
        _notifier = notifier;
        _log = log;
    }

    /// <summary>The queue it edits.</summary>
    public MailQueue Queue => _queue;

    /// <summary>Moves the message to hold/. One taken from active may have been delivered in part: its open recipients are marked so that delivery looks for their copies first.</summary>
    public async Task<MailQueueMessage> HoldAsync(string queueId, CancellationToken cancellationToken)
    {
        var state = StateOf(queueId);
        if (state == QueueState.Hold) return await DescribeAsync(state, queueId, cancellationToken).ConfigureAwait(false);
        if (state == QueueState.Corrupt) throw new InvalidOperationException($"The message {queueId} is corrupt; it cannot be held.");
        if (state == QueueState.Active)
        {
            // Left in active by a crash or a failed attempt: "maybe delivered" must survive the trip through hold.
            var envelope = await _queue.ReadEnvelopeAsync(state, queueId, cancellationToken).ConfigureAwait(false);
            foreach (var recipient in envelope.Recipients.Where(r => r.Status == RecipientStatus.Pending)) recipient.Status = RecipientStatus.Delivering;
            await _queue.WriteEnvelopeAsync(state, envelope, cancellationToken).ConfigureAwait(false);
        }
        _queue.Move(queueId, state, QueueState.Hold);
        _log?.QueueChanged(queueId, "placed on hold");
        return await DescribeAsync(QueueState.Hold, queueId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves a held message to deferred (when it had delivery attempts) or incoming, where delivery takes it.</summary>
    public async Task<MailQueueMessage> ReleaseAsync(string queueId, CancellationToken cancellationToken)
    {
        var state = StateOf(queueId);
        if (state != QueueState.Hold) throw new InvalidOperationException($"The message {queueId} is not on hold (it is in {QueueListing.NameOf(state)}).");
        var envelope = await _queue.ReadEnvelopeAsync(state, queueId, cancellationToken).ConfigureAwait(false);
        var target = envelope.Attempts > 0 ? QueueState.Deferred : QueueState.Incoming;
        _queue.Move(queueId, state, target);
        _log?.QueueChanged(queueId, "released from hold");
        return await DescribeAsync(target, queueId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes the message; with <paramref name="notifySender"/> its open recipients are first reported to the sender as
    /// failed (<see cref="DeletedReason"/>), unless the sender is null or they asked for no failure notices.
    /// </summary>
    /// <returns>The message as it was, and the queue ID of the notice (null when none was sent).</returns>
    public async Task<(MailQueueMessage Message, string? NoticeId)> DeleteAsync(string queueId, bool notifySender, CancellationToken cancellationToken)
    {
        var state = StateOf(queueId);
        var message = await DescribeAsync(state, queueId, cancellationToken).ConfigureAwait(false);
        string? notice = null;
        if (notifySender && state != QueueState.Corrupt && _notifier is not null)
        {
            var envelope = await _queue.ReadEnvelopeAsync(state, queueId, cancellationToken).ConfigureAwait(false);
            var open = envelope.Recipients.Where(r => r.Status is RecipientStatus.Pending or RecipientStatus.Deferred or RecipientStatus.Delivering).ToList();
            foreach (var recipient in open)
            {
                recipient.Status = RecipientStatus.Bounced;
                recipient.LastResponse = DeletedReason;
                recipient.Diagnostic = null;
                recipient.RemoteMta = null;
            }
            // Queued (fsynced) before the message goes: a crash in between keeps both, never loses the notice.
            if (open.Count > 0)
                notice = await _notifier.NotifyAsync(envelope, open, () => _queue.OpenContent(state, queueId), cancellationToken).ConfigureAwait(false);
        }
        _queue.Delete(state, queueId);
        _log?.QueueChanged(queueId, "removed");
        return (message, notice);
    }

    /// <summary>Makes a deferred message due now (its next attempt time becomes now); messages in incoming or active are due already.</summary>
    public async Task<MailQueueMessage> MakeDueAsync(string queueId, CancellationToken cancellationToken)
    {
        var state = StateOf(queueId);
        RequireFlushable(queueId, state);
        if (state == QueueState.Deferred)
        {
            var envelope = await _queue.ReadEnvelopeAsync(state, queueId, cancellationToken).ConfigureAwait(false);
            envelope.NextAttempt = DateTimeOffset.UtcNow;
            await _queue.WriteEnvelopeAsync(state, envelope, cancellationToken).ConfigureAwait(false);
        }
        return await DescribeAsync(state, queueId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses to flush a held or corrupt message: postqueue -i leaves those alone.</summary>
    internal static void RequireFlushable(string queueId, QueueState state)
    {
        if (state is QueueState.Hold or QueueState.Corrupt)
            throw new InvalidOperationException($"The message {queueId} is in {QueueListing.NameOf(state)}; release it before flushing it.");
    }

    /// <summary>The state of <paramref name="queueId"/>.</summary>
    /// <exception cref="MailQueueMessageNotFoundException">It is not in the queue.</exception>
    internal QueueState StateOf(string queueId) =>
        (QueueId.IsValid(queueId) ? _queue.Find(queueId) : null) ?? throw new MailQueueMessageNotFoundException(queueId);

    private async Task<MailQueueMessage> DescribeAsync(QueueState state, string queueId, CancellationToken cancellationToken) =>
        await QueueListing.DescribeAsync(_queue, state, queueId, cancellationToken).ConfigureAwait(false)
        ?? throw new MailQueueMessageNotFoundException(queueId);
}
