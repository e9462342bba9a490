namespace MailOps.Engine.Tests.TestSupport;

/// <summary>A clock a test moves by hand, in UTC, so log lines have known times.</summary>
public sealed class FixedClock(DateTimeOffset start) : TimeProvider
{
    /// <summary>Now.</summary>
    public DateTimeOffset Now { get; set; } = start;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => Now.ToUniversalTime();

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Moves the clock on.</summary>
    public void Advance(TimeSpan by) => Now += by;
}
