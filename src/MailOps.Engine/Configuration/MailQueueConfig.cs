namespace MailOps.Engine.Configuration;

/// <summary>
/// How long and how often a deferred message is retried, with Postfix's defaults (postconf(5)): minimal_backoff_time,
/// maximal_backoff_time, maximal_queue_lifetime and bounce_queue_lifetime.
/// </summary>
public sealed record MailQueueConfig
{
    /// <summary>The shortest wait before a retry; Postfix's minimal_backoff_time, 300 s.</summary>
    public TimeSpan MinimalBackoff { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>The longest wait before a retry; Postfix's maximal_backoff_time, 4000 s.</summary>
    public TimeSpan MaximalBackoff { get; init; } = TimeSpan.FromSeconds(4000);
    /// <summary>How long a message may stay deferred before it is returned to its sender; Postfix's maximal_queue_lifetime, 5 days.</summary>
    public TimeSpan MaximalLifetime { get; init; } = TimeSpan.FromDays(5);
    /// <summary>The same for non-delivery notifications (null sender); Postfix's bounce_queue_lifetime, 5 days.</summary>
    public TimeSpan BounceLifetime { get; init; } = TimeSpan.FromDays(5);

    /// <summary>
    /// When a message that failed temporarily at <paramref name="now"/> is tried again. As Postfix's qmgr: the wait is
    /// the message's age, kept between the minimal and maximal backoff, so it doubles with every attempt (exponential
    /// backoff) until it reaches the maximum.
    /// </summary>
    public DateTimeOffset NextAttempt(DateTimeOffset arrival, DateTimeOffset now)
    {
        var age = now - arrival;
        var wait = age < MinimalBackoff ? MinimalBackoff : age > MaximalBackoff ? MaximalBackoff : age;
        return now + wait;
    }

    /// <summary>True when a message from <paramref name="sender"/> that arrived at <paramref name="arrival"/> has been queued too long.</summary>
    public bool IsExpired(string sender, DateTimeOffset arrival, DateTimeOffset now) =>
        now - arrival >= (sender.Length == 0 ? BounceLifetime : MaximalLifetime);
}
