using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

public sealed class DnssecCheckTests(ValidatingDns dns) : IClassFixture<ValidatingDns>
{
    private static async Task<MailDnsCheckResult> Run(MailDnsCheck check, string domain, MailDnsResolver resolver) =>
        Assert.Single(await new MailDnsChecker(resolver).CheckAsync(domain, new MailDnsCheckOptions { Checks = [check] }));

    [Fact]
    public async Task A_signed_zone_behind_a_validating_resolver_passes()
    {
        var r = await Run(MailDnsCheck.Dnssec, "signed.test", dns.ViaUnbound());
        Assert.True(r.Status == MailDnsStatus.Pass, r.Summary + "\n" + dns.Unbound.Log());
        Assert.Equal("Answers for signed.test are DNSSEC-validated.", r.Summary);
        Assert.Equal(dns.Unbound.Endpoint, r.NameServer);
        var d = Assert.IsType<DnssecDetail>(r.Detail);
        Assert.True(d.AuthenticData);
        Assert.True(d.Signed);
        Assert.True(d.Validated);
        Assert.True(d.ResolverValidates);
        Assert.Equal("MX signed.test", d.Question);
        Assert.StartsWith("RRSIG MX", r.Record);
    }

    [Fact]
    public async Task A_signed_zone_asked_from_a_non_validating_server_is_signed_but_not_validated()
    {
        var r = await Run(MailDnsCheck.Dnssec, "signed.test", dns.ViaNsd());
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains("signed, but this resolver does not validate (no AD bit)", r.Summary);
        var d = Assert.IsType<DnssecDetail>(r.Detail);
        Assert.False(d.AuthenticData);
        Assert.True(d.Signed);
        Assert.False(d.Validated);
        Assert.False(d.ResolverValidates);
    }

    [Fact]
    public async Task An_unsigned_zone_warns_that_it_is_not_dnssec_signed()
    {
        var r = await Run(MailDnsCheck.Dnssec, "unsigned.test", dns.ViaUnbound());
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Equal("unsigned.test is not DNSSEC-signed: its answers, and DANE, cannot be authenticated.", r.Summary);
        Assert.Equal("RFC 4033 3", r.Reference);
        var d = Assert.IsType<DnssecDetail>(r.Detail);
        Assert.False(d.Signed);
        Assert.False(d.AuthenticData);
        Assert.Equal(false, d.HasDs);
        Assert.Null(r.Record);
    }

    [Fact]
    public async Task Expired_signatures_are_bogus_and_end_as_a_temporary_error()
    {
        var r = await Run(MailDnsCheck.Dnssec, "expired.test", dns.ViaUnbound());
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Contains("DNSSEC validation failure (bogus)", r.Summary);
        Assert.Equal("RFC 4035 5.5", r.Reference);
        Assert.Contains("expired", dns.Unbound.Log());
    }

    [Fact]
    public async Task Validated_dane_ee_records_pass_the_dane_check()
    {
        var r = await Run(MailDnsCheck.Dane, "signed.test", dns.ViaUnbound());
        Assert.True(r.Status == MailDnsStatus.Pass, r.Summary);
        Assert.Equal("DANE TLSA records for 1 MX host(s), DNSSEC-validated.", r.Summary);
        Assert.True(Assert.Single(Assert.IsType<DaneDetail>(r.Detail).Hosts).Authenticated);
    }

    [Fact]
    public async Task The_same_tlsa_records_unvalidated_warn_that_senders_ignore_them()
    {
        var r = await Run(MailDnsCheck.Dane, "signed.test", dns.ViaNsd());
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("not DNSSEC-validated", r.Summary);
    }
}
