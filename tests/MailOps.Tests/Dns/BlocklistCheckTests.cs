using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class BlocklistCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> Blocklist(string domain, params string[] lists)
    {
        var options = new MailDnsCheckOptions { Checks = [MailDnsCheck.Blocklist], Blocklists = lists };
        return Assert.Single(await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, options));
    }

    [Fact]
    public async Task Without_blocklists_nothing_is_looked_up()
    {
        var r = await Blocklist("good.ptr.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains("No blocklists given (-Blocklist)", r.Summary);
        Assert.Empty(Assert.IsType<BlocklistDetail>(r.Detail).Entries);
    }

    [Fact]
    public async Task Addresses_a_working_list_does_not_name_pass()
    {
        var r = await Blocklist("good.ptr.test", "zen.bl.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Contains("listed on none of 1 blocklist(s): zen.bl.test", r.Summary);
        var entries = Assert.IsType<BlocklistDetail>(r.Detail).Entries;
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => { Assert.False(e.Listed); Assert.Equal("zen.bl.test", e.Blocklist); Assert.Empty(e.Codes); });
    }

    [Fact]
    public async Task A_listed_ipv4_and_ipv6_address_fails_with_the_lists_reason()
    {
        var r = await Blocklist("listed.ptr.test", "zen.bl.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 5782 2.1", r.Reference);
        Assert.Contains("198.51.99.120 (mx.listed.ptr.test) is listed on zen.bl.test (127.0.0.4): Listed by the fixture list", r.Summary);
        var entries = Assert.IsType<BlocklistDetail>(r.Detail).Entries;
        var v4 = Assert.Single(entries, e => e.Address == "198.51.99.120");
        Assert.True(v4.Listed);
        Assert.Equal(["127.0.0.4"], v4.Codes);
        Assert.StartsWith("Listed by the fixture list", v4.Reason);
        var v6 = Assert.Single(entries, e => e.Address == "2a01:4f8:99::120");
        Assert.True(v6.Listed);
        Assert.Equal(["127.0.0.3"], v6.Codes);
        Assert.Null(v6.Reason);
    }

    [Fact]
    public async Task A_refusal_code_warns_and_is_not_a_listing()
    {
        var r = await Blocklist("refused.ptr.test", "zen.bl.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("refused the query", r.Summary);
        Assert.Contains("127.255.255.254: query via a public or open resolver", r.Summary);
        var entry = Assert.Single(Assert.IsType<BlocklistDetail>(r.Detail).Entries);
        Assert.False(entry.Listed);
        Assert.Equal(["127.255.255.254"], entry.Codes);
    }

    [Fact]
    public async Task An_answer_outside_127_8_warns_that_the_list_misbehaves()
    {
        var r = await Blocklist("good.ptr.test", "wild.bl.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("misbehaving or wildcarding", r.Summary);
        Assert.All(Assert.IsType<BlocklistDetail>(r.Detail).Entries, e => Assert.False(e.Listed));
    }

    [Fact]
    public async Task A_list_that_does_not_answer_its_test_entry_warns()
    {
        var r = await Blocklist("good.ptr.test", "dead.bl.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 5782 5", r.Reference);
        Assert.Contains("does not answer its test entry", r.Summary);
        Assert.Equal(["dead.bl.test"], Assert.IsType<BlocklistDetail>(r.Detail).ListsWithoutTestEntry);
    }

    [Fact]
    public async Task A_list_that_servfails_is_a_temporary_error_never_a_listing()
    {
        var r = await Blocklist("listed.ptr.test", "servfail.test", "zen.bl.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Contains("in servfail.test failed", r.Summary);
        var entries = Assert.IsType<BlocklistDetail>(r.Detail).Entries;
        Assert.All(entries.Where(e => e.Blocklist == "servfail.test"), e =>
        {
            Assert.False(e.Listed);
            Assert.Equal(MailDnsStatus.TempError, e.Status);
        });
        // The working list is still asked and still reports its listing.
        Assert.Contains(r.Findings, x => x.Status == MailDnsStatus.Fail && x.Message.Contains("zen.bl.test"));
    }
}
