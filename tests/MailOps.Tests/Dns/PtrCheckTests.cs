using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class PtrCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> Ptr(string domain)
    {
        var results = await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, new MailDnsCheckOptions { Checks = [MailDnsCheck.Ptr] });
        return Assert.Single(results);
    }

    [Fact]
    public async Task Forward_confirmed_reverse_dns_on_ipv4_and_ipv6_passes()
    {
        var r = await Ptr("good.ptr.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("Reverse DNS of 2 MX address(es) is forward-confirmed.", r.Summary);
        var rows = Assert.IsType<PtrDetail>(r.Detail).Addresses;
        Assert.Equal(["198.51.99.101", "2a01:4f8:99::101"], rows.Select(a => a.Address).Order());
        Assert.All(rows, a =>
        {
            Assert.Equal("mx.good.ptr.test", a.Host);
            Assert.Equal(["mx.good.ptr.test"], a.PtrNames);
            Assert.True(a.ForwardConfirmed);
        });
    }

    [Fact]
    public async Task An_mx_address_without_ptr_fails_citing_rfc_1912()
    {
        var r = await Ptr("noptr.ptr.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 1912 2.1", r.Reference);
        Assert.Contains("198.51.99.102 (mx.noptr.ptr.test) has no PTR record", r.Summary);
        var row = Assert.Single(Assert.IsType<PtrDetail>(r.Detail).Addresses);
        Assert.Empty(row.PtrNames);
        Assert.False(row.ForwardConfirmed);
    }

    [Fact]
    public async Task A_ptr_that_does_not_resolve_back_fails()
    {
        var r = await Ptr("unconfirmed.ptr.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("does not resolve back", r.Summary);
        var row = Assert.Single(Assert.IsType<PtrDetail>(r.Detail).Addresses);
        Assert.Equal(["elsewhere.ptr.test"], row.PtrNames);
        Assert.False(row.ForwardConfirmed);
    }

    [Fact]
    public async Task A_generic_ptr_that_spells_the_address_warns()
    {
        var r = await Ptr("generic.ptr.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("looks generic", r.Summary);
        var row = Assert.Single(Assert.IsType<PtrDetail>(r.Detail).Addresses);
        Assert.True(row.ForwardConfirmed);
        Assert.True(row.LooksGeneric);
    }

    [Fact]
    public async Task A_failing_reverse_lookup_is_a_temporary_error_not_a_missing_ptr()
    {
        var r = await Ptr("revfail.ptr.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Contains("Reverse lookup of 198.51.98.1", r.Summary);
    }

    [Fact]
    public async Task A_failing_forward_lookup_of_the_ptr_name_is_a_temporary_error()
    {
        var r = await Ptr("fwdfail.ptr.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Contains("Forward lookup", r.Summary);
        Assert.Equal(["mx.servfail.test"], Assert.Single(Assert.IsType<PtrDetail>(r.Detail).Addresses).PtrNames);
    }

    [Fact]
    public async Task A_null_mx_has_no_address_to_check()
    {
        var r = await Ptr("nullmx.ptr.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains("null MX", r.Summary);
    }

    [Theory]
    [InlineData("198-51-99-104.dyn.example", "198.51.99.104", true)]
    [InlineData("104.99.51.198.pool.example", "198.51.99.104", true)]
    [InlineData("host198051099104.example", "198.51.99.104", true)]
    [InlineData("c6336368.cable.example", "198.51.99.104", true)]
    [InlineData("mail.example.org", "198.51.99.104", false)]
    [InlineData("mx1-99.example.org", "198.51.99.104", false)]
    [InlineData("2a01-4f8-99-0-0-0-0-101.v6.example", "2a01:4f8:99::101", true)]
    [InlineData("mx.good.ptr.test", "2a01:4f8:99::101", false)]
    public void A_ptr_name_is_generic_when_it_spells_its_address(string name, string address, bool generic) =>
        Assert.Equal(generic, GenericPtrName.LooksGeneric(name, System.Net.IPAddress.Parse(address)));
}
