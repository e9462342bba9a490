using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class SpfCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> Spf(string domain, string? proposed = null)
    {
        var options = new MailDnsCheckOptions { Checks = [MailDnsCheck.Spf], SpfRecord = proposed };
        var results = await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, options);
        return Assert.Single(results);
    }

    private static SpfDetail Detail(MailDnsCheckResult r) => Assert.IsType<SpfDetail>(r.Detail);

    private static void Verdict(MailDnsCheckResult r, MailDnsStatus status, string reference, string summaryPart)
    {
        Assert.Equal(status, r.Status);
        Assert.Equal(reference, r.Reference);
        Assert.Contains(summaryPart, r.Summary);
    }

    [Fact]
    public async Task A_good_record_passes_with_its_lookup_count_and_all()
    {
        var r = await Spf("ok.spf.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("SPF ok: 4 of 10 DNS lookups, -all", r.Summary);
        Assert.Equal("v=spf1 ip4:198.51.100.0/24 mx a:mail.ok.spf.test include:_spf.ok.spf.test -all", r.Record);
        Assert.Equal(dns.Server.Endpoint, r.NameServer);
        var d = Detail(r);
        Assert.Equal(4, d.DnsLookupCount);
        Assert.Equal(0, d.VoidLookupCount);
        Assert.Equal(SpfQualifier.Fail, d.AllQualifier);
        Assert.Equal(["ip4", "mx", "a", "include", "all"], d.Terms.Select(t => t.Name));
        var tree = d.IncludeTree!;
        Assert.Equal(3, tree.LookupCount);
        var include = Assert.Single(tree.Children);
        Assert.Equal(("include", "_spf.ok.spf.test", 1, SpfIncludeState.Followed), (include.Via, include.Domain, include.LookupCount, include.State));
        Assert.StartsWith("v=spf1 ip4:203.0.113.0/24", include.Record);
    }

    [Fact]
    public async Task A_record_split_over_several_strings_is_read_as_one()
    {
        var r = await Spf("split.spf.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/24 ~all", r.Record);
        Assert.Equal("SPF ok: 0 of 10 DNS lookups, ~all", r.Summary);
        Assert.Equal("203.0.113.0/24", Detail(r).Terms[1].Value);
    }

    [Fact]
    public async Task No_spf_record_fails_even_when_other_txt_records_exist()
    {
        var r = await Spf("nospf.spf.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7208 4.5", r.Reference);
        Assert.StartsWith("No SPF record", r.Summary);
        Assert.Null(r.Record);
    }

    [Fact]
    public async Task Two_spf_records_fail_as_permerror()
    {
        var r = await Spf("two.spf.test");
        Verdict(r, MailDnsStatus.Fail, "RFC 7208 4.5", "2 SPF records");
    }

    [Theory]
    [InlineData("unknownmech.spf.test", "offset 24 ('foo:bar'): unknown mechanism 'foo'", "RFC 7208 5")]
    [InlineData("badcidr.spf.test", "offset 7 ('ip4:198.51.100.0/33')", "RFC 7208 5.6")]
    [InlineData("badmacro.spf.test", "'z' is not a macro letter", "RFC 7208 7.1")]
    [InlineData("badqual.spf.test", "offset 7 ('!all'): '!' is not a qualifier", "RFC 7208 4.6.2")]
    [InlineData("dupredirect.spf.test", "the redirect modifier appears more than once", "RFC 7208 6")]
    public async Task A_syntax_error_fails_as_permerror_naming_where_it_is(string domain, string message, string reference)
    {
        var r = await Spf(domain);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains(message, r.Summary);
        Assert.Contains("permerror", r.Summary);
        Assert.Equal(reference, r.Reference);
        Assert.NotEmpty(Detail(r).SyntaxErrors);
    }

    [Fact]
    public async Task An_unknown_modifier_is_ignored()
    {
        var r = await Spf("unknownmod.spf.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Contains(Detail(r).Terms, t => t.IsModifier && t.Name == "foo" && t.Value == "bar");
    }

    [Fact]
    public async Task Exactly_ten_lookups_through_includes_and_a_redirect_warns_as_close_to_the_limit()
    {
        var r = await Spf("limit10.spf.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 7208 4.6.4", r.Reference);
        Assert.StartsWith("10 of 10 DNS lookups", r.Summary);
        var d = Detail(r);
        Assert.Equal(10, d.DnsLookupCount);
        Assert.Equal(10, d.IncludeTree!.TotalLookupCount);
        var l2 = d.IncludeTree.Children.Single(c => c.Domain == "l2.limit10.spf.test");
        var l4 = Assert.Single(l2.Children);
        Assert.Equal(2, l4.LookupCount);
        Assert.Equal(("redirect", "l5.limit10.spf.test"), (l4.Children[0].Via, l4.Children[0].Domain));
    }

    [Fact]
    public async Task Eleven_lookups_fail_as_permerror()
    {
        var r = await Spf("limit11.spf.test");
        Verdict(r, MailDnsStatus.Fail, "RFC 7208 4.6.4", "11 DNS lookups, over the limit of 10");
        Assert.Equal(11, Detail(r).DnsLookupCount);
    }

    [Fact]
    public async Task Two_void_lookups_warn_at_the_limit()
    {
        var r = await Spf("void2.spf.test");
        Verdict(r, MailDnsStatus.Warn, "RFC 7208 4.6.4", "2 void lookups");
        Assert.Equal(2, Detail(r).VoidLookupCount);
    }

    [Fact]
    public async Task Three_void_lookups_fail_as_permerror()
    {
        var r = await Spf("void3.spf.test");
        Verdict(r, MailDnsStatus.Fail, "RFC 7208 4.6.4", "3 void lookups");
        Assert.Equal(3, Detail(r).VoidLookupCount);
    }

    [Fact]
    public async Task An_mx_mechanism_with_more_than_ten_mx_hosts_fails()
    {
        var r = await Spf("manymx.spf.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("11 MX hosts", r.Summary);
    }

    [Fact]
    public async Task An_include_loop_fails_long_before_the_lookup_limit()
    {
        var r = await Spf("loop-a.spf.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("include loop: loop-a.spf.test -> loop-b.spf.test -> loop-a.spf.test", r.Summary);
        var d = Detail(r);
        Assert.Equal(2, d.DnsLookupCount);
        Assert.Equal(SpfIncludeState.Loop, d.IncludeTree!.Children[0].Children[0].State);
    }

    [Fact]
    public async Task Including_a_domain_without_spf_record_fails_as_permerror()
    {
        var r = await Spf("incnospf.spf.test");
        Verdict(r, MailDnsStatus.Fail, "RFC 7208 5.2", "include:nospf.spf.test has no SPF record");
        Assert.Equal(SpfIncludeState.NoRecord, Detail(r).IncludeTree!.Children[0].State);
    }

    [Fact]
    public async Task Including_a_record_with_a_syntax_error_fails_naming_it()
    {
        var r = await Spf("incbad.spf.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("include:badcidr.spf.test has an SPF syntax error at offset 7", r.Summary);
        Assert.Equal(SpfIncludeState.SyntaxError, Detail(r).IncludeTree!.Children[0].State);
    }

    [Fact]
    public async Task Servfail_on_the_record_is_a_temporary_error_not_a_missing_record()
    {
        var r = await Spf("any.servfail.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Equal("RFC 7208 2.6.6", r.Reference);
        Assert.DoesNotContain("No SPF", r.Summary);
    }

    [Fact]
    public async Task Servfail_on_an_include_is_a_temporary_error_not_a_missing_record()
    {
        var r = await Spf("inctemp.spf.test");
        Verdict(r, MailDnsStatus.TempError, "RFC 7208 2.6.6", "include:x.servfail.test");
        Assert.DoesNotContain(r.Findings, f => f.Message.Contains("has no SPF record"));
        Assert.Equal(SpfIncludeState.TempError, Detail(r).IncludeTree!.Children[0].State);
    }

    [Fact]
    public async Task Plus_all_fails_because_anyone_may_send()
    {
        var r = await Spf("plusall.spf.test");
        Verdict(r, MailDnsStatus.Fail, "RFC 7208 5.1", "+all");
        Assert.Equal(SpfQualifier.Pass, Detail(r).AllQualifier);
    }

    [Fact]
    public async Task Question_mark_all_warns()
    {
        var r = await Spf("neutral.spf.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 7208 5.1", r.Reference);
        Assert.Equal(SpfQualifier.Neutral, Detail(r).AllQualifier);
    }

    [Fact]
    public async Task Tilde_all_passes()
    {
        var r = await Spf("softfail.spf.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("SPF ok: 0 of 10 DNS lookups, ~all", r.Summary);
        Assert.Equal(SpfQualifier.SoftFail, Detail(r).AllQualifier);
    }

    [Fact]
    public async Task No_all_and_no_redirect_warns_of_the_default_neutral()
    {
        var r = await Spf("noall.spf.test");
        Verdict(r, MailDnsStatus.Warn, "RFC 7208 4.7", "default result neutral");
        Assert.Null(Detail(r).AllQualifier);
    }

    [Fact]
    public async Task A_redirect_takes_the_all_and_the_lookups_of_its_target()
    {
        var r = await Spf("redirect.spf.test");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("SPF ok: 5 of 10 DNS lookups, -all via redirect=ok.spf.test", r.Summary);
        Assert.Equal(SpfQualifier.Fail, Detail(r).AllQualifier);
    }

    [Fact]
    public async Task The_ptr_mechanism_warns()
    {
        var r = await Spf("ptr.spf.test");
        Verdict(r, MailDnsStatus.Warn, "RFC 7208 5.5", "SHOULD NOT be used");
        Assert.Equal(1, Detail(r).DnsLookupCount);
    }

    [Fact]
    public async Task A_record_over_450_bytes_warns_that_it_may_not_fit_udp()
    {
        var r = await Spf("long.spf.test");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 7208 3.4", r.Reference);
        Assert.True(r.Record!.Length > 450);
        Assert.Equal(26, Detail(r).Terms.Count);
    }

    [Fact]
    public async Task A_proposed_record_is_judged_instead_of_the_published_one_with_its_includes_looked_up()
    {
        var r = await Spf("ok.spf.test", "v=spf1 include:_spf.ok.spf.test +all");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 7208 5.1", r.Reference);
        Assert.Equal("v=spf1 include:_spf.ok.spf.test +all", r.Record);
        var d = Detail(r);
        Assert.True(d.IsProposed);
        Assert.Equal(2, d.DnsLookupCount);
        Assert.Equal(SpfIncludeState.Followed, d.IncludeTree!.Children[0].State);
    }

    [Fact]
    public async Task A_proposed_record_for_a_domain_without_one_passes()
    {
        var r = await Spf("nospf.spf.test", "v=spf1 mx:ok.spf.test include:_spf.ok.spf.test -all");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("SPF ok: 3 of 10 DNS lookups, -all", r.Summary);
    }

    [Fact]
    public async Task A_proposed_record_including_a_servfailing_domain_is_a_temporary_error()
    {
        var r = await Spf("nospf.spf.test", "v=spf1 include:y.servfail.test -all");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
    }

    [Fact]
    public async Task A_proposed_record_over_255_characters_in_one_string_must_be_split()
    {
        var text = "v=spf1 " + string.Join(" ", Enumerable.Range(1, 16).Select(i => $"ip4:198.51.100.{i}")) + " -all";
        Assert.InRange(text.Length, 256, 450);
        var r = await Spf("nospf.spf.test", text);
        Verdict(r, MailDnsStatus.Warn, "RFC 7208 3.3", "must be split into strings of at most 255 characters");
        Assert.Equal(text, r.Record);
    }

    [Fact]
    public async Task A_proposed_record_in_quoted_strings_is_joined_and_each_string_checked()
    {
        var ok = await Spf("nospf.spf.test", "\"v=spf1 ip4:198.51.100.0/24 \" \"ip4:203.0.113.0/24 -all\"");
        Assert.Equal(MailDnsStatus.Pass, ok.Status);
        Assert.Equal("v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/24 -all", ok.Record);

        var tooLong = "\"v=spf1 " + string.Join(" ", Enumerable.Range(1, 16).Select(i => $"ip4:198.51.100.{i}")) + " -all\"";
        var r = await Spf("nospf.spf.test", tooLong);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("String 1 of the proposed record is", r.Summary);
    }

    [Fact]
    public async Task A_proposed_text_that_is_not_spf_fails()
    {
        var r = await Spf("nospf.spf.test", "spf1 -all");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("does not begin with v=spf1", r.Summary);
    }
}
