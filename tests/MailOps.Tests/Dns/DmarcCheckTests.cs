using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class DmarcCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> Dmarc(string domain, string? proposed = null)
    {
        var results = await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, new MailDnsCheckOptions { Checks = [MailDnsCheck.Dmarc], DmarcRecord = proposed });
        return Assert.Single(results);
    }

    [Fact]
    public async Task An_enforcing_record_with_authorised_outside_reports_passes_and_is_parsed()
    {
        var r = await Dmarc("good.dmarc.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.StartsWith("v=DMARC1; p=reject", r.Record);
        Assert.Equal(dns.Server.Endpoint, r.NameServer);
        var d = Assert.IsType<DmarcDetail>(r.Detail);
        Assert.Equal("reject", d.Policy);
        Assert.Equal("quarantine", d.SubdomainPolicy);
        Assert.Equal(100, d.Percent);
        Assert.Equal("s", d.Adkim);
        Assert.Equal("r", d.Aspf);
        Assert.Equal(["1", "d"], d.FailureOptions);
        Assert.Equal(3600u, d.ReportInterval);
        Assert.Equal(["dmarc@good.dmarc.test", "agg@reports.test"], d.Rua.Select(u => u.Mailbox));
        Assert.Equal("10m", d.Rua[1].SizeLimit);
        Assert.Equal("fail@good.dmarc.test", Assert.Single(d.Ruf).Mailbox);
        Assert.Contains(d.Tags, t => t.Name == "ri" && t.Value == "3600");
        var auth = Assert.Single(d.ExternalAuthorizations);
        Assert.Equal("reports.test", auth.Destination);
        Assert.Equal("good.dmarc.test._report._dmarc.reports.test", auth.QueryName);
        Assert.True(auth.IsAuthorized);
    }

    [Fact]
    public async Task A_record_split_into_several_strings_is_read_as_one()
    {
        var r = await Dmarc("split.dmarc.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("quarantine", Assert.IsType<DmarcDetail>(r.Detail).Policy);
    }

    [Fact]
    public async Task No_record_fails()
    {
        var r = await Dmarc("absent.dmarc.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7489 6.6.3", r.Reference);
        Assert.Contains("No DMARC record at _dmarc.absent.dmarc.test", r.Summary);
    }

    [Fact]
    public async Task Records_that_do_not_start_with_v_dmarc1_are_ignored_so_there_is_no_record()
    {
        var r = await Dmarc("vlater.dmarc.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("No DMARC record", r.Summary);
        Assert.Contains(r.Findings, x => x.Status == MailDnsStatus.Info && x.Message.Contains("2 TXT record(s)") && x.Message.Contains("v=DMARC1"));
    }

    [Fact]
    public async Task A_subdomain_without_record_is_covered_by_the_organisational_domain_record()
    {
        var r = await Dmarc("shop.reports.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains("_dmarc.reports.test", r.Summary);
        Assert.Contains("subdomain policy quarantine", r.Summary);
        Assert.Equal("reports.test", Assert.IsType<DmarcDetail>(r.Detail).RecordDomain);
    }

    [Fact]
    public async Task Two_records_fail_because_receivers_then_apply_no_dmarc_processing()
    {
        var r = await Dmarc("two.dmarc.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7489 6.6.3", r.Reference);
        Assert.Contains("no DMARC processing", r.Summary);
    }

    [Fact]
    public async Task P_none_is_a_warning_that_the_domain_only_monitors()
    {
        var r = await Dmarc("monitor.dmarc.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("monitoring only", r.Summary);
        Assert.Equal("none", Assert.IsType<DmarcDetail>(r.Detail).Policy);
    }

    [Fact]
    public async Task A_record_without_p_but_with_rua_fails_and_says_it_is_treated_as_p_none()
    {
        var r = await Dmarc("nop.dmarc.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7489 6.6.3", r.Reference);
        Assert.Contains("treat it as p=none", r.Summary);
        Assert.Equal("none", Assert.IsType<DmarcDetail>(r.Detail).Policy);
    }

    [Fact]
    public async Task A_record_without_p_or_rua_fails_with_no_dmarc_processing()
    {
        var r = await Dmarc("bare.dmarc.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("no DMARC processing", r.Summary);
        Assert.Null(Assert.IsType<DmarcDetail>(r.Detail).Policy);
    }

    [Fact]
    public async Task An_unknown_p_value_fails()
    {
        var r = await Dmarc("badp.dmarc.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7489 6.3", r.Reference);
        Assert.Contains("p=block", r.Summary);
    }

    [Fact]
    public async Task A_p_tag_that_does_not_follow_v_is_a_warning()
    {
        var r = await Dmarc("latep.dmarc.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 7489 6.4", r.Reference);
        Assert.Contains("right after v=DMARC1", r.Summary);
    }

    [Fact]
    public async Task Bad_values_of_sp_pct_adkim_aspf_fo_rf_and_ri_each_fail()
    {
        var r = await Dmarc("badvalues.dmarc.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        var fails = r.Findings.Where(x => x.Status == MailDnsStatus.Fail).Select(x => x.Message).ToArray();
        foreach (var bad in new[] { "sp=deny", "pct=150", "adkim=x", "aspf=strict", "fo=2", "rf=json", "ri=soon" })
            Assert.Contains(fails, m => m.StartsWith(bad, StringComparison.Ordinal));
        Assert.Equal(7, fails.Length);
        Assert.Contains("(+6 more)", r.Summary);
    }

    [Fact]
    public async Task A_pct_below_100_is_noted()
    {
        var r = await Dmarc("pct.dmarc.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Equal("RFC 7489 6.6.4", r.Reference);
        Assert.Equal(25, Assert.IsType<DmarcDetail>(r.Detail).Percent);
    }

    [Fact]
    public async Task Unknown_tags_are_ignored_with_a_note()
    {
        var r = await Dmarc("unknown.dmarc.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains(r.Findings, x => x.Message == "Unknown tag np ignored.");
        Assert.Contains(r.Findings, x => x.Message == "Unknown tag t ignored.");
    }

    [Theory]
    [InlineData("badrua.dmarc.test", "not a URI")]
    [InlineData("badsize.dmarc.test", "size limit")]
    public async Task A_malformed_report_uri_fails(string domain, string reason)
    {
        var r = await Dmarc(domain);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7489 6.2", r.Reference);
        Assert.Contains(reason, r.Summary);
    }

    [Fact]
    public async Task A_report_uri_that_is_not_mailto_is_a_warning()
    {
        var r = await Dmarc("httpsrua.dmarc.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 7489 6.2", r.Reference);
        Assert.Contains("not a mailto: URI", r.Summary);
    }

    [Fact]
    public async Task Reports_to_an_outside_domain_that_has_not_authorised_them_are_a_warning()
    {
        var r = await Dmarc("unauth.dmarc.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 7489 7.1", r.Reference);
        Assert.StartsWith("Reports to reports.test will be ignored: reports.test has not authorised", r.Summary);
        var auth = Assert.Single(Assert.IsType<DmarcDetail>(r.Detail).ExternalAuthorizations);
        Assert.False(auth.IsAuthorized);
        Assert.Equal("unauth.dmarc.test._report._dmarc.reports.test", auth.QueryName);
    }

    [Fact]
    public async Task A_servfail_on_the_outside_authorisation_is_a_temporary_error()
    {
        var r = await Dmarc("extfail.dmarc.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Equal("RFC 7489 7.1", r.Reference);
        Assert.Equal(DnsLookupStatus.TempError, Assert.Single(Assert.IsType<DmarcDetail>(r.Detail).ExternalAuthorizations).LookupStatus);
    }

    [Fact]
    public async Task Servfail_at_the_dmarc_name_is_a_temporary_error_not_a_missing_record()
    {
        var r = await Dmarc("x.servfail.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.DoesNotContain("No DMARC record", r.Summary);
    }

    [Fact]
    public async Task A_proposed_record_is_judged_instead_of_the_published_one()
    {
        var r = await Dmarc("good.dmarc.test", proposed: "v=DMARC1; p=none; rua=mailto:d@good.dmarc.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("monitoring only", r.Summary);
        Assert.Equal("v=DMARC1; p=none; rua=mailto:d@good.dmarc.test", r.Record);
        var d = Assert.IsType<DmarcDetail>(r.Detail);
        Assert.True(d.IsProposed);
        Assert.Equal("none", d.Policy);
    }

    [Fact]
    public async Task A_proposed_record_that_does_not_start_with_v_dmarc1_fails()
    {
        var r = await Dmarc("absent.dmarc.test", proposed: "p=reject; v=DMARC1");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7489 6.4", r.Reference);
        Assert.Contains("v=DMARC1 must be the first tag", r.Summary);
    }

    [Fact]
    public async Task A_proposed_record_that_is_not_a_tag_list_fails()
    {
        var r = await Dmarc("absent.dmarc.test", proposed: "v=DMARC1; p=reject; adkim");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7489 6.4", r.Reference);
        Assert.Contains("not a tag list: tag 'adkim' has no '='", r.Summary);
    }
}
