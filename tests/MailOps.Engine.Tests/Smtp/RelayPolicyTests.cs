using System.Net;
using MailOps.Engine.Policy;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>The relay decision alone, without a socket.</summary>
public sealed class RelayPolicyTests
{
    private readonly RelayPolicy _policy = RelayPolicy.FromCidrs(DictionaryRecipients.Standard, ["192.0.2.0/24", "2001:db8::/32"]);

    [Theory]
    [InlineData("alice@local.test", "198.51.100.7", null, 250)]
    [InlineData("nobody@local.test", "192.0.2.5", "alice@local.test", 550)] // even trusted clients cannot invent users
    [InlineData("x@far.example", "198.51.100.7", null, 554)]
    [InlineData("x@far.example", "198.51.100.7", "alice@local.test", 250)]
    [InlineData("x@far.example", "192.0.2.200", null, 250)]
    [InlineData("x@far.example", "::ffff:192.0.2.9", null, 250)]
    [InlineData("x@far.example", "2001:db8::1", null, 250)]
    [InlineData("x@far.example", "2001:db9::1", null, 554)]
    public void Local_users_are_checked_and_foreign_domains_relay_only_for_AUTH_or_mynetworks(string rcpt, string client, string? user, int code)
    {
        Assert.Equal(code, _policy.CheckRecipient(rcpt, IPAddress.Parse(client), user).Code);
    }

    [Fact]
    public void Submission_requires_AUTH_before_MAIL()
    {
        Assert.Equal("5.7.0", _policy.CheckSender(authenticationRequired: true, authUser: null).EnhancedCode);
        Assert.True(_policy.CheckSender(authenticationRequired: true, authUser: "alice@local.test").IsAccepted);
        Assert.True(_policy.CheckSender(authenticationRequired: false, authUser: null).IsAccepted);
    }
}
