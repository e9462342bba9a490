using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class MxCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> Mx(string domain, MailDnsResolver? resolver = null)
    {
        var results = await new MailDnsChecker(resolver ?? dns.Resolver()).CheckAsync(domain, new MailDnsCheckOptions { Checks = [MailDnsCheck.Mx] });
        return Assert.Single(results);
    }

    [Fact]
    public async Task Two_public_mx_hosts_pass_and_are_listed_in_preference_order()
    {
        var r = await Mx("good.mx.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        var detail = Assert.IsType<MxDetail>(r.Detail);
        Assert.Equal(["mx1.good.mx.test", "mx2.good.mx.test"], detail.Hosts.Select(h => h.Host));
        Assert.Equal(2, detail.Hosts[1].Addresses.Count);
        Assert.Equal(dns.Server.Endpoint, r.NameServer);
        Assert.Contains("10 mx1.good.mx.test", r.Record);
    }

    [Fact]
    public async Task A_null_mx_is_reported_as_accepting_no_mail()
    {
        var r = await Mx("nullmx.mx.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Equal("RFC 7505 3", r.Reference);
        Assert.Contains("null MX", r.Summary);
    }

    [Fact]
    public async Task A_null_mx_beside_other_mx_records_fails()
    {
        var r = await Mx("nullmixed.mx.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7505 3", r.Reference);
    }

    [Fact]
    public async Task No_mx_but_an_address_is_an_implicit_mx_warning()
    {
        var r = await Mx("implicit.mx.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("implicit MX", r.Summary);
        Assert.True(Assert.IsType<MxDetail>(r.Detail).IsImplicit);
    }

    [Fact]
    public async Task No_mx_and_no_address_fails()
    {
        var r = await Mx("nomail.mx.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("cannot receive mail", r.Summary);
    }

    [Fact]
    public async Task A_domain_that_does_not_exist_fails()
    {
        var r = await Mx("absent.mx.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("NXDOMAIN", r.Summary);
    }

    [Fact]
    public async Task An_mx_target_that_is_a_cname_fails_citing_rfc_2181()
    {
        var r = await Mx("cname.mx.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 2181 10.3", r.Reference);
    }

    [Fact]
    public async Task An_mx_target_written_as_an_address_fails()
    {
        var r = await Mx("literal.mx.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("address literal", r.Summary);
    }

    [Theory]
    [InlineData("private.mx.test", "private")]
    [InlineData("loop.mx.test", "loopback")]
    public async Task An_mx_target_in_private_or_loopback_space_fails(string domain, string range)
    {
        var r = await Mx(domain);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains(range, r.Summary);
    }

    [Fact]
    public async Task An_mx_target_without_address_fails()
    {
        var r = await Mx("dangling.mx.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("no A or AAAA", r.Summary);
    }

    [Fact]
    public async Task Servfail_is_a_temporary_error_not_a_missing_record()
    {
        var r = await Mx("any.servfail.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
    }

    [Fact]
    public async Task A_silent_name_server_is_a_temporary_error()
    {
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var r = await Mx("good.mx.test", new MailDnsResolver([$"127.0.0.1:{port}"], TimeSpan.FromMilliseconds(300)));
        Assert.Equal(MailDnsStatus.TempError, r.Status);
    }
}
