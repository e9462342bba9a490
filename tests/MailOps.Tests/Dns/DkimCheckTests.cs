using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class DkimCheckTests(FixtureDns dns)
{
    private async Task<MailDnsCheckResult> Dkim(string domain, string[] selectors, string? record = null)
    {
        var options = new MailDnsCheckOptions { Checks = [MailDnsCheck.Dkim], DkimSelectors = selectors, DkimRecord = record };
        return Assert.Single(await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, options));
    }

    private async Task<(MailDnsCheckResult Result, DkimSelectorDetail Selector)> Selector(string selector)
    {
        var r = await Dkim("dkim.test", [selector]);
        var detail = Assert.Single(Assert.IsType<DkimDetail>(r.Detail).Selectors);
        Assert.Equal(r.Status, detail.Status);
        return (r, detail);
    }

    [Fact]
    public async Task A_2048_bit_rsa_key_split_over_two_strings_passes()
    {
        var (r, d) = await Selector("rsa2048");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("rsa", d.KeyType);
        Assert.Equal(2048, d.KeyBits);
        Assert.Equal("rsa2048._domainkey.dkim.test", d.DnsName);
        Assert.StartsWith("v=DKIM1; k=rsa; p=MIIBIjAN", r.Record);
        Assert.Equal(dns.Server.Endpoint, r.NameServer);
        Assert.Null(d.MatchesPrivateKey);
    }

    [Fact]
    public async Task A_1024_bit_rsa_key_is_a_warning_to_move_to_2048()
    {
        var (r, d) = await Selector("rsa1024");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("RFC 8301 3.2", r.Reference);
        Assert.Equal(1024, d.KeyBits);
        Assert.Contains("2048", r.Summary);
    }

    [Fact]
    public async Task A_512_bit_rsa_key_fails_because_verifiers_reject_it()
    {
        var (r, d) = await Selector("rsa512");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8301 3.2", r.Reference);
        Assert.Equal(512, d.KeyBits);
    }

    [Fact]
    public async Task A_key_left_in_testing_mode_is_a_warning()
    {
        var (r, d) = await Selector("testing");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.True(d.Testing);
        Assert.Contains("t=y", r.Summary);
    }

    [Fact]
    public async Task An_empty_p_is_reported_as_a_revoked_key()
    {
        var (r, d) = await Selector("revoked");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.True(d.Revoked);
        Assert.Contains("revoked", r.Summary);
        Assert.Null(d.KeyBits);
    }

    [Fact]
    public async Task A_key_restricted_to_sha1_fails_citing_rfc_8301()
    {
        var (r, d) = await Selector("sha1");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8301 3.1", r.Reference);
        Assert.Equal(["sha1"], d.HashAlgorithms);
    }

    [Fact]
    public async Task An_ed25519_key_passes_and_is_reported_as_ed25519()
    {
        var (r, d) = await Selector("ed25519");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("ed25519", d.KeyType);
        Assert.Equal(256, d.KeyBits);
        Assert.Contains("Ed25519", r.Summary);
    }

    [Theory]
    [InlineData("garbage", "does not hold an RSA public key")]
    [InlineData("notbase64", "not valid base64")]
    public async Task A_p_that_is_not_a_key_fails(string selector, string reason)
    {
        var (r, d) = await Selector(selector);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains(reason, r.Summary);
        Assert.Null(d.KeyBits);
    }

    [Theory]
    [InlineData("syntax", "RFC 6376 3.2", "no '='")]
    [InlineData("vlate", "RFC 6376 3.6.1", "v= must be the first tag")]
    [InlineData("unknownk", "RFC 6376 3.6.1", "unknown key type k=dsa")]
    [InlineData("nop", "RFC 6376 3.6.1", "no p= tag")]
    [InlineData("service", "RFC 6376 3.6.1", "s=tlsrpt")]
    public async Task A_malformed_key_record_fails_naming_the_fault(string selector, string reference, string reason)
    {
        var (r, _) = await Selector(selector);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal(reference, r.Reference);
        Assert.Contains(reason, r.Summary);
    }

    [Fact]
    public async Task A_record_split_mid_tag_is_joined_without_spaces_and_passes()
    {
        var (r, d) = await Selector("multi");
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal(2048, d.KeyBits);
        Assert.StartsWith("v=DKIM1; k=rsa; p=", r.Record);
    }

    [Fact]
    public async Task A_bare_pkcs1_rsa_key_is_a_warning()
    {
        var (r, d) = await Selector("pkcs1");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("PKCS#1", r.Summary);
        Assert.Equal(1024, d.KeyBits);
    }

    [Fact]
    public async Task Two_key_records_at_one_name_are_a_warning()
    {
        var (r, _) = await Selector("twice");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains(r.Findings, f => f.Reference == "RFC 6376 3.6.2.2");
    }

    [Fact]
    public async Task A_selector_without_a_key_record_fails()
    {
        var (r, d) = await Selector("absent");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 6376 6.1.2", r.Reference);
        Assert.Null(d.Record);
        Assert.Null(r.Record);
    }

    [Fact]
    public async Task Servfail_is_a_temporary_error_not_a_missing_key()
    {
        var r = await Dkim("servfail.test", ["mail"]);
        Assert.Equal(MailDnsStatus.TempError, r.Status);
    }

    [Fact]
    public async Task Without_a_selector_the_check_says_keys_cannot_be_discovered()
    {
        var r = await Dkim("dkim.test", []);
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Equal("RFC 6376 3.6.2.1", r.Reference);
        Assert.Contains("can't be discovered", r.Summary);
        Assert.Empty(Assert.IsType<DkimDetail>(r.Detail).Selectors);
    }

    [Fact]
    public async Task Several_selectors_are_reported_in_order_and_the_worst_decides()
    {
        var r = await Dkim("dkim.test", ["rsa2048", "rsa512", "ed25519"]);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        var selectors = Assert.IsType<DkimDetail>(r.Detail).Selectors;
        Assert.Equal(["rsa2048", "rsa512", "ed25519"], selectors.Select(s => s.Selector));
        Assert.Equal([MailDnsStatus.Pass, MailDnsStatus.Fail, MailDnsStatus.Pass], selectors.Select(s => s.Status));
        Assert.Contains("rsa512._domainkey.dkim.test: ", r.Record);
    }

    [Fact]
    public async Task A_record_given_by_the_caller_is_judged_instead_of_the_published_one()
    {
        // "absent" has no record in DNS: a verdict on a record proves the given text was judged instead.
        var r = await Dkim("dkim.test", ["absent"], "v=DKIM1; k=rsa; t=y; p=");
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        var d = Assert.Single(Assert.IsType<DkimDetail>(r.Detail).Selectors);
        Assert.True(d.Revoked);
        Assert.True(d.Testing);
        Assert.Equal("v=DKIM1; k=rsa; t=y; p=", r.Record);
    }

    [Fact]
    public async Task A_record_given_without_a_selector_is_still_judged()
    {
        var r = await Dkim("dkim.test", [], "v=DKIM1; h=sha1; k=ed25519; p=J37zlFSG3kxtJfx6H4ivJFckjbXkkf4JQM1+Vz4TE0Q=");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8301 3.1", r.Reference);
        Assert.Equal("ed25519", Assert.Single(Assert.IsType<DkimDetail>(r.Detail).Selectors).KeyType);
    }

    [Fact]
    public void The_dkim_check_runs_after_mx_in_report_order()
    {
        Assert.Equal([MailDnsCheck.Mx, MailDnsCheck.Dkim], MailDnsChecker.AllChecks.Select(c => c.Check).Where(c => c is MailDnsCheck.Mx or MailDnsCheck.Dkim));
        Assert.Equal(MailDnsChecker.AllChecks.Select(c => c.Check).Order(), MailDnsChecker.AllChecks.Select(c => c.Check));
    }
}
