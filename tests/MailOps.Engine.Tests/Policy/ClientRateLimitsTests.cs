using System.Net;
using MailOps.Engine.Configuration;
using MailOps.Engine.Policy;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Policy;

/// <summary>Postfix's anvil semantics of the rate limits, on a clock the test moves.</summary>
public sealed class ClientRateLimitsTests
{
    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.7");

    [Fact]
    public void A_client_over_its_rate_is_welcome_again_once_the_time_unit_has_passed_and_each_service_and_address_counts_alone()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        var limits = new ClientRateLimits(new MailLimitsConfig { ClientConnectionRateLimit = 2, RateTimeUnit = TimeSpan.FromSeconds(60) }, [], clock);

        Assert.Null(limits.Connect("smtp", Client));
        Assert.Null(limits.Connect("smtp", Client));
        Assert.Equal(3, limits.Connect("smtp", Client));
        // Refused connections count too: a client that keeps knocking stays over the limit.
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(4, limits.Connect("smtp", Client));
        Assert.Null(limits.Connect("submission", Client));
        Assert.Null(limits.Connect("smtp", IPAddress.Parse("127.0.0.8")));

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(limits.Connect("smtp", Client));
    }

    [Fact]
    public void Exempt_networks_are_never_limited_by_address_but_a_SASL_user_is_limited_wherever_they_connect_from()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        var limits = new ClientRateLimits(new MailLimitsConfig { ClientMessageRateLimit = 1, SaslUserMessageRateLimit = 1 },
            [IPNetwork.Parse("127.0.0.0/8")], clock);

        Assert.Null(limits.Message("smtp", Client));
        Assert.Null(limits.Message("smtp", Client));
        Assert.Null(limits.Message("smtp", IPAddress.Parse("::ffff:127.0.0.7")));
        Assert.Null(limits.UserMessage("alice@example.test"));
        Assert.Equal(2, limits.UserMessage("Alice@Example.Test"));
    }
}
