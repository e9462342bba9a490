namespace MailOps.Queue;

/// <summary>
/// A recipient of a queued message that is still to be delivered, as <c>postqueue -j</c> lists it: its address and,
/// once an attempt failed, why delivery was delayed.
/// </summary>
/// <param name="Address">The recipient address (postqueue -j's <c>address</c>).</param>
/// <param name="DelayReason">The last temporary failure, e.g. "connect to mx.example.org[192.0.2.1]:25: Connection refused";
/// null before the first attempt (postqueue -j's <c>delay_reason</c>).</param>
public sealed record MailQueueRecipient(string Address, string? DelayReason = null)
{
    /// <inheritdoc />
    public override string ToString() => Address;
}
