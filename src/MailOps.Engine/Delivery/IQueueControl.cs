using MailOps.Queue;

namespace MailOps.Engine.Delivery;

/// <summary>
/// What an administrator does to a queue (Postfix's postqueue and postsuper): list, hold, release, delete and flush.
/// A running server does it through its queue manager (<see cref="LocalDeliveryAgent"/>), in this process or over its
/// control socket (<see cref="QueueControlClient"/>); a queue without a server has it done to its files (<see cref="QueueEditor"/>).
/// </summary>
public interface IQueueControl
{
    /// <summary>The messages <paramref name="filter"/> selects (postqueue -j).</summary>
    IAsyncEnumerable<MailQueueMessage> ListAsync(MailQueueFilter filter, CancellationToken cancellationToken);

    /// <summary>Puts a message on hold, where delivery never takes it (postsuper -h); a message being delivered is held after the attempt.</summary>
    /// <returns>The message as it is now, in hold.</returns>
    /// <exception cref="MailQueueMessageNotFoundException">No such message (or it was delivered before it could be held).</exception>
    Task<MailQueueMessage> HoldAsync(string queueId, CancellationToken cancellationToken);

    /// <summary>Releases a held message (postsuper -H): to deferred when it had attempts, else to incoming, so that it is delivered.</summary>
    /// <returns>The message as it is now.</returns>
    /// <exception cref="MailQueueMessageNotFoundException">No such message.</exception>
    /// <exception cref="InvalidOperationException">The message is not on hold.</exception>
    Task<MailQueueMessage> ReleaseAsync(string queueId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a message (postsuper -d); with <paramref name="notifySender"/>, first returns an RFC 3464 non-delivery notice
    /// for its open recipients to the sender (never to the null sender). A message being delivered has its attempt cancelled.
    /// </summary>
    /// <returns>The message as it was when deleted.</returns>
    /// <exception cref="MailQueueMessageNotFoundException">No such message.</exception>
    Task<MailQueueMessage> DeleteAsync(string queueId, bool notifySender, CancellationToken cancellationToken);

    /// <summary>Makes one deferred message due now (postqueue -i).</summary>
    /// <returns>The message.</returns>
    /// <exception cref="MailQueueMessageNotFoundException">No such message.</exception>
    /// <exception cref="InvalidOperationException">The message is on hold (release it first) or corrupt.</exception>
    Task<MailQueueMessage> FlushAsync(string queueId, CancellationToken cancellationToken);

    /// <summary>Makes every deferred message due now (postqueue -f).</summary>
    /// <returns>The deferred messages made due.</returns>
    Task<IReadOnlyList<MailQueueMessage>> FlushAllAsync(CancellationToken cancellationToken);
}
