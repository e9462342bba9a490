using MailOps.Dns;

namespace MailOps.Tests.Dns;

public sealed class MailDomainNameTests
{
    [Theory]
    [InlineData("Example.COM.", "example.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    public void A_valid_name_is_normalised(string input, string expected)
    {
        Assert.True(MailDomainName.TryNormalize(input, out var normalized, out _));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("exa mple.com", "white space")]
    [InlineData("example..com", "empty label")]
    [InlineData("192.0.2.1", "IP address")]
    [InlineData("", "empty")]
    [InlineData("localhost", "single label")]
    public void A_malformed_name_is_refused_with_the_reason(string input, string reason)
    {
        Assert.False(MailDomainName.TryNormalize(input, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_name_over_253_characters_is_refused()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 60), 5)) + ".com";
        Assert.False(MailDomainName.TryNormalize(name, out _, out var error));
        Assert.Contains("253", error);
    }
}
