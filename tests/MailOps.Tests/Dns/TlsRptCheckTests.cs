using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class TlsRptCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> TlsRpt(string domain) =>
        Assert.Single(await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, new MailDnsCheckOptions { Checks = [MailDnsCheck.TlsRpt] }));

    [Fact]
    public async Task A_record_with_mailto_and_https_destinations_passes()
    {
        var r = await TlsRpt("good.sts.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.StartsWith("v=TLSRPTv1;", r.Record);
        var d = Assert.IsType<TlsRptDetail>(r.Detail);
        Assert.Equal(["mailto", "https"], d.Rua.Select(u => u.Scheme));
        Assert.Equal("tls@good.sts.test", d.Rua[0].Mailbox);
        Assert.Contains("https://reports.sts.test/tlsrpt", r.Summary);
    }

    [Fact]
    public async Task No_record_is_only_information_because_tls_reporting_is_optional()
    {
        var r = await TlsRpt("none.sts.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Equal("RFC 8460 3", r.Reference);
        Assert.Contains("No TLS-RPT record at _smtp._tls.none.sts.test", r.Summary);
    }

    [Theory]
    [InlineData("badscheme.sts.test", "neither a mailto: nor an https: URI")]
    [InlineData("baduri.sts.test", "not a URI")]
    [InlineData("norua.sts.test", "no rua field")]
    [InlineData("spaced.sts.test", "must start with exactly \"v=TLSRPTv1;\"")]
    [InlineData("two.sts.test", "2 TLS-RPT records")]
    public async Task A_malformed_record_fails(string domain, string reason)
    {
        var r = await TlsRpt(domain);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8460 3", r.Reference);
        Assert.Contains(reason, r.Summary);
    }

    [Fact]
    public async Task Servfail_is_a_temporary_error_not_a_missing_record()
    {
        var r = await TlsRpt("x.servfail.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
    }
}
