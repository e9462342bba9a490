using System.Net;
using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

/// <summary>check_host() against the fixture nsd (zone spfeval.test, and the broken servfail.test).</summary>
[Collection(FixtureDnsCollection.Name)]
public sealed class SpfEvaluatorTests(FixtureDns dns)
{
    private async Task<SpfVerdict> Check(string ip, string domain, string sender = "alice@spfeval.test", string helo = "good.example")
        => await new SpfEvaluator(dns.Resolver()).CheckHostAsync(IPAddress.Parse(ip), domain + ".spfeval.test", sender, helo);

    [Theory]
    [InlineData("192.0.2.1", "ip4", SpfResult.Pass)]
    [InlineData("192.0.2.127", "ip4", SpfResult.Pass)]
    [InlineData("192.0.2.128", "ip4", SpfResult.Fail)]
    [InlineData("198.51.100.7", "ip4", SpfResult.Pass)]
    [InlineData("2001:db8::1", "ip4", SpfResult.Fail)]
    [InlineData("::ffff:192.0.2.5", "ip4", SpfResult.Pass)]
    [InlineData("2001:db8:1:ffff::1", "ip6", SpfResult.Pass)]
    [InlineData("2001:db8:2::1", "ip6", SpfResult.Fail)]
    [InlineData("192.0.2.1", "ip6", SpfResult.Fail)]
    [InlineData("192.0.2.10", "a", SpfResult.Pass)]
    [InlineData("2001:db8:a::10", "a", SpfResult.Pass)]
    [InlineData("198.51.100.200", "a", SpfResult.Pass)]
    [InlineData("198.51.101.1", "a", SpfResult.Fail)]
    [InlineData("203.0.113.5", "mx", SpfResult.Pass)]
    [InlineData("203.0.113.6", "mx", SpfResult.Fail)]
    [InlineData("2001:db8:5::ffff", "mx", SpfResult.Pass)]
    [InlineData("2001:db8:6::1", "mx", SpfResult.Fail)]
    public async Task Networks_a_and_mx_match_with_their_prefix_lengths(string ip, string domain, SpfResult expected)
        => Assert.Equal(expected, (await Check(ip, domain)).Result);

    [Theory]
    [InlineData("192.0.2.1", "include", SpfResult.Pass, "include:ip4.spfeval.test")]
    [InlineData("192.0.2.200", "include", SpfResult.SoftFail, "~all")]
    [InlineData("192.0.2.1", "incnone", SpfResult.PermError, "include:nothing.spfeval.test")]
    [InlineData("192.0.2.1", "inctemp", SpfResult.TempError, "include:x.servfail.test")]
    [InlineData("192.0.2.1", "redirect", SpfResult.Pass, "ip4:192.0.2.0/25")]
    [InlineData("192.0.2.200", "redirect", SpfResult.Fail, "-all")]
    [InlineData("203.0.113.99", "redirect", SpfResult.Pass, "ip4:203.0.113.99")]
    [InlineData("192.0.2.1", "redirall", SpfResult.Neutral, "?all")]
    [InlineData("192.0.2.1", "rednone", SpfResult.PermError, "redirect=nothing.spfeval.test")]
    [InlineData("192.0.2.1", "neutral", SpfResult.Neutral, "?all")]
    [InlineData("192.0.2.1", "softfail", SpfResult.SoftFail, "~all")]
    [InlineData("192.0.2.1", "pass", SpfResult.Pass, "+all")]
    [InlineData("192.0.2.1", "noall", SpfResult.Neutral, null)]
    [InlineData("192.0.2.1", "syntax", SpfResult.PermError, null)]
    [InlineData("192.0.2.1", "two", SpfResult.PermError, null)]
    [InlineData("192.0.2.1", "nothing", SpfResult.None, null)]
    [InlineData("192.0.2.1", "mxtemp", SpfResult.TempError, "mx:x.servfail.test")]
    public async Task Include_redirect_and_every_qualifier_give_the_results_of_RFC_7208(string ip, string domain, SpfResult expected, string? mechanism)
    {
        var verdict = await Check(ip, domain);
        Assert.Equal(expected, verdict.Result);
        Assert.Equal(mechanism, verdict.Mechanism);
    }

    [Fact]
    public async Task Exists_expands_the_ip_reversed_and_the_local_part_macros()
    {
        // %{ir}.%{l1r+-}._spf.%{d}: 7.100.51.198.alice._spf.exists.spfeval.test
        Assert.Equal(SpfResult.Pass, (await Check("198.51.100.7", "exists", "alice@exists.spfeval.test")).Result);
        Assert.Equal(SpfResult.Fail, (await Check("198.51.100.7", "exists", "bob@exists.spfeval.test")).Result);
        Assert.Equal(SpfResult.Fail, (await Check("198.51.100.8", "exists", "alice@exists.spfeval.test")).Result);
        // l1r+-: split on '+' and '-', reversed, the rightmost part kept: "alice+news" gives "alice".
        Assert.Equal(SpfResult.Pass, (await Check("198.51.100.7", "exists", "alice+news@exists.spfeval.test")).Result);
    }

    [Fact]
    public async Task The_helo_macro_expands_to_the_helo_name()
    {
        Assert.Equal(SpfResult.Pass, (await Check("192.0.2.1", "macro-h", helo: "good.example")).Result);
        Assert.Equal(SpfResult.Fail, (await Check("192.0.2.1", "macro-h", helo: "bad.example")).Result);
    }

    [Fact]
    public async Task Ten_dns_lookups_are_allowed_and_the_eleventh_is_a_permerror()
    {
        var ten = await Check("192.0.2.200", "lookups10");
        Assert.Equal((SpfResult.Pass, 10), (ten.Result, ten.DnsLookups));
        var eleven = await Check("192.0.2.200", "lookups11");
        Assert.Equal(SpfResult.PermError, eleven.Result);
        Assert.Contains("more than 10 DNS lookups", eleven.Reason);
    }

    [Fact]
    public async Task Two_void_lookups_are_allowed_and_the_third_is_a_permerror()
    {
        var two = await Check("192.0.2.1", "void2");
        Assert.Equal((SpfResult.Pass, 2), (two.Result, two.VoidLookups));
        var three = await Check("192.0.2.1", "void3");
        Assert.Equal(SpfResult.PermError, three.Result);
        Assert.Contains("void lookups", three.Reason);
    }

    [Fact]
    public async Task An_include_loop_ends_in_permerror_at_the_lookup_limit()
    {
        var loop = await Check("192.0.2.1", "loop");
        Assert.Equal(SpfResult.PermError, loop.Result);
        Assert.Equal(11, loop.DnsLookups);
    }

    [Fact]
    public async Task A_servfail_on_the_record_itself_is_a_temperror_not_none()
    {
        var verdict = await new SpfEvaluator(dns.Resolver()).CheckHostAsync(IPAddress.Parse("192.0.2.1"), "x.servfail.test", "a@x.servfail.test");
        Assert.Equal(SpfResult.TempError, verdict.Result);
    }

    [Fact]
    public async Task The_null_sender_is_checked_as_postmaster_at_the_helo_name()
    {
        var verdict = await new SpfEvaluator(dns.Resolver()).CheckSenderAsync(IPAddress.Parse("192.0.2.1"), "", "ip4.spfeval.test");
        Assert.Equal((SpfResult.Pass, "ip4.spfeval.test", "postmaster@ip4.spfeval.test"), (verdict.Result, verdict.Domain, verdict.Sender));
    }
}
