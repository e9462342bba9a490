using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class DaneCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> Dane(string domain)
    {
        var results = await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, new MailDnsCheckOptions { Checks = [MailDnsCheck.Dane] });
        return Assert.Single(results);
    }

    [Fact]
    public async Task A_domain_without_tlsa_records_is_told_dane_is_not_deployed()
    {
        var r = await Dane("none.dane.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains("DANE not deployed", r.Summary);
        Assert.Null(r.Record);
        var host = Assert.Single(Assert.IsType<DaneDetail>(r.Detail).Hosts);
        Assert.Equal("_25._tcp.mx.none.dane.test", host.TlsaName);
        Assert.Empty(host.Records);
    }

    [Fact]
    public async Task Dane_ee_and_dane_ta_records_are_usable_but_ignored_without_dnssec_validation()
    {
        var r = await Dane("good.dane.test");
        // nsd sets no AD bit: the records are right, but a sender would ignore them.
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("TLSA records are not DNSSEC-validated by this resolver; senders will ignore them.", r.Summary);
        Assert.Equal("RFC 7672 2.2", r.Reference);
        Assert.Contains(r.Findings, x => x.Status == MailDnsStatus.Pass && x.Message.Contains("2 usable TLSA"));
        var host = Assert.Single(Assert.IsType<DaneDetail>(r.Detail).Hosts);
        Assert.False(host.Authenticated);
        Assert.Equal(MailDnsStatus.Pass, host.Verdict);
        var ee = Assert.Single(host.Records, t => t.Usage == 3);
        Assert.Equal((1, 1, new string('a', 64)), (ee.Selector, ee.MatchingType, ee.Data));
        Assert.True(ee.IsUsable);
        var ta = Assert.Single(host.Records, t => t.Usage == 2);
        Assert.Equal(2, ta.MatchingType);
        Assert.Contains("_25._tcp.mx.good.dane.test TLSA 3 1 1 aaaa", r.Record);
    }

    [Fact]
    public async Task A_pkix_usage_is_not_for_smtp_and_warns()
    {
        var r = await Dane("pkix.dane.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("none is usable for SMTP", r.Summary);
        var pkix = Assert.Single(r.Findings, x => x.Reference == "RFC 7672 3.1.3");
        Assert.Equal(MailDnsStatus.Warn, pkix.Status);
        Assert.Contains("PKIX-EE(1) is not for SMTP", pkix.Message);
        var record = Assert.Single(Assert.Single(Assert.IsType<DaneDetail>(r.Detail).Hosts).Records);
        Assert.Equal(MailDnsStatus.Warn, record.Verdict);
        Assert.False(record.IsUsable);
    }

    [Fact]
    public async Task A_full_matching_type_is_usable_and_noted()
    {
        var r = await Dane("full.dane.test");
        var full = Assert.Single(r.Findings, x => x.Message.Contains("Full(0)"));
        Assert.Equal(MailDnsStatus.Info, full.Status);
        Assert.Equal("RFC 6698 2.1.3", full.Reference);
        var record = Assert.Single(Assert.Single(Assert.IsType<DaneDetail>(r.Detail).Hosts).Records);
        Assert.True(record.IsUsable);
        Assert.Equal(0, record.MatchingType);
        Assert.StartsWith("3059301306", record.Data);
        Assert.DoesNotContain(r.Findings, x => x.Status == MailDnsStatus.Fail);
    }

    [Fact]
    public async Task Digest_data_of_the_wrong_length_fails()
    {
        var r = await Dane("badlen.dane.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains(r.Findings, x => x.Status == MailDnsStatus.Fail && x.Message.Contains("SHA-256 data is 31 bytes, not 32"));
        Assert.Contains(r.Findings, x => x.Status == MailDnsStatus.Fail && x.Message.Contains("SHA-512 data is 32 bytes, not 64"));
        var host = Assert.Single(Assert.IsType<DaneDetail>(r.Detail).Hosts);
        Assert.All(host.Records, t => Assert.Equal(MailDnsStatus.Fail, t.Verdict));
    }

    [Fact]
    public async Task A_backup_mx_without_tlsa_warns_that_mail_to_it_is_unprotected()
    {
        var r = await Dane("mixed.dane.test");
        var mixed = Assert.Single(r.Findings, x => x.Reference == "RFC 7672 2.2.1");
        Assert.Equal(MailDnsStatus.Warn, mixed.Status);
        Assert.Contains("mx2.mixed.dane.test", mixed.Message);
        var hosts = Assert.IsType<DaneDetail>(r.Detail).Hosts;
        Assert.Equal(["mx1.mixed.dane.test", "mx2.mixed.dane.test"], hosts.Select(h => h.Host));
        Assert.Single(hosts[0].Records);
        Assert.Empty(hosts[1].Records);
    }

    [Fact]
    public async Task Servfail_on_the_tlsa_lookup_is_a_temporary_error()
    {
        var r = await Dane("tempfail.dane.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Contains("_25._tcp.mx.servfail.test", r.Summary);
        Assert.DoesNotContain("not deployed", r.Summary);
    }

    [Fact]
    public async Task A_null_mx_has_nothing_to_secure()
    {
        var r = await Dane("nullmx.dane.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains("null MX", r.Summary);
    }
}
