using System.Net;
using System.Net.Sockets;
using MailOps.Dns;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Dns;

[Collection(FixtureDnsCollection.Name)]
public sealed class MtaStsCheckTests(FixtureDns dns)
{
    private const string PolicyPath = "/.well-known/mta-sts.txt";
    private const string PolicyHost = "mta-sts.good.sts.test";
    private static readonly TestCertificateAuthority Ca = new("MailOps test CA");
    private static readonly Lazy<System.Security.Cryptography.X509Certificates.X509Certificate2> GoodCertificate = new(() => Ca.IssueServerCertificate(PolicyHost));

    private static HttpsAnswer Policy(string text, string contentType = "text/plain; charset=utf-8") => new(200, contentType, text);

    private static HttpsPolicyServer Serve(HttpsAnswer answer, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null) =>
        HttpsPolicyServer.Start(certificate ?? GoodCertificate.Value, (_, path) => path == PolicyPath ? answer : new HttpsAnswer(404, "text/plain", "not found"));

    private async Task<MailDnsCheckResult> MtaSts(string domain, int port = 1)
    {
        var options = new MailDnsCheckOptions { Checks = [MailDnsCheck.MtaSts], MtaStsPort = port, MtaStsTrustedRoots = Ca.TrustStore };
        return Assert.Single(await new MailDnsChecker(dns.Resolver()).CheckAsync(domain, options));
    }

    [Fact]
    public async Task An_enforced_policy_that_covers_every_mx_host_passes()
    {
        using var server = Serve(Policy("version: STSv1\r\nmode: enforce\r\nmx: *.good.sts.test\r\nmax_age: 604800\r\n"));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Pass, r.Status);
        Assert.Equal("v=STSv1; id=20250101T000000;", r.Record);
        Assert.Contains("enforced", r.Summary);
        var d = Assert.IsType<MtaStsDetail>(r.Detail);
        Assert.Equal("20250101T000000", d.Id);
        Assert.Equal("https://mta-sts.good.sts.test/.well-known/mta-sts.txt", d.PolicyUrl);
        Assert.Equal("enforce", d.Mode);
        Assert.Equal(604800, d.MaxAge);
        Assert.Equal(["*.good.sts.test"], d.MxPatterns);
        Assert.Equal(["mx1.good.sts.test", "mx2.good.sts.test"], d.MxHosts.Where(h => h.Matched).Select(h => h.Host));
        Assert.Null(d.FetchError);
        Assert.Equal([$"{PolicyHost} {PolicyPath}"], server.Requests);
    }

    [Fact]
    public async Task An_mx_host_the_enforced_policy_does_not_name_fails()
    {
        using var server = Serve(Policy("version: STSv1\nmode: enforce\nmx: mx1.good.sts.test\nmx: mail.elsewhere.test\nmax_age: 604800\n"));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8461 4.1", r.Reference);
        Assert.StartsWith("MX host mx2.good.sts.test matches no mx pattern", r.Summary);
        var d = Assert.IsType<MtaStsDetail>(r.Detail);
        Assert.True(d.MxHosts.Single(h => h.Host == "mx1.good.sts.test").Matched);
        Assert.False(d.MxHosts.Single(h => h.Host == "mx2.good.sts.test").Matched);
    }

    [Fact]
    public async Task A_wildcard_pattern_matches_only_one_label()
    {
        using var server = Serve(Policy("version: STSv1\nmode: enforce\nmx: *.sts.test\nmax_age: 604800\n"));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal(2, r.Findings.Count(f => f.Reference == "RFC 8461 4.1" && f.Status == MailDnsStatus.Fail));
    }

    [Fact]
    public async Task Testing_mode_is_a_warning_and_unmatched_hosts_only_warn()
    {
        using var server = Serve(Policy("version: STSv1\nmode: testing\nmx: mx1.good.sts.test\nmax_age: 86400\n"));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains(r.Findings, f => f.Status == MailDnsStatus.Warn && f.Message.StartsWith("mode: testing", StringComparison.Ordinal));
        Assert.Contains(r.Findings, f => f.Status == MailDnsStatus.Warn && f.Message.Contains("once the mode is enforce"));
        Assert.Equal("testing", Assert.IsType<MtaStsDetail>(r.Detail).Mode);
    }

    [Fact]
    public async Task A_max_age_under_a_day_is_a_warning()
    {
        using var server = Serve(Policy("version: STSv1\nmode: enforce\nmx: *.good.sts.test\nmax_age: 3600\n"));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Warn, r.Status);
        Assert.Contains("max_age 3600 is under a day", r.Summary);
    }

    [Theory]
    [InlineData("version: STSv1\nmode: enforce\nmx: *.good.sts.test\nmax_age: 99999999\n", "above the limit")]
    [InlineData("version: STSv1\nmode: enforcing\nmx: *.good.sts.test\nmax_age: 604800\n", "not enforce, testing or none")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 604800\n", "needs at least one mx")]
    [InlineData("mode: enforce\nmx: *.good.sts.test\nmax_age: 604800\n", "version field is missing")]
    public async Task An_invalid_policy_file_fails(string policy, string reason)
    {
        using var server = Serve(Policy(policy));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8461 3.2", r.Reference);
        Assert.Contains(reason, r.Summary);
    }

    [Theory]
    [InlineData("badid.sts.test", "not 1 to 32 letters and digits")]
    [InlineData("noid.sts.test", "no id field")]
    [InlineData("two.sts.test", "2 MTA-STS records")]
    public async Task A_txt_record_senders_would_ignore_fails(string domain, string reason)
    {
        var r = await MtaSts(domain);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8461 3.1", r.Reference);
        Assert.Contains(reason, r.Summary);
    }

    [Fact]
    public async Task No_txt_record_means_mta_sts_is_not_deployed()
    {
        var r = await MtaSts("none.sts.test");
        Assert.Equal(MailDnsStatus.Info, r.Status);
        Assert.Contains("not deployed", r.Summary);
    }

    [Fact]
    public async Task A_record_whose_policy_host_refuses_connections_fails()
    {
        var port = ClosedPort();
        var r = await MtaSts("good.sts.test", port);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8461 3.3", r.Reference);
        var d = Assert.IsType<MtaStsDetail>(r.Detail);
        Assert.Contains($"cannot connect to {PolicyHost} port {port}", d.FetchError);
        Assert.Contains("could not be fetched", r.Summary);
    }

    [Fact]
    public async Task A_record_whose_policy_host_does_not_resolve_fails()
    {
        var r = await MtaSts("nohost.sts.test");
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains("mta-sts.nohost.sts.test has no A or AAAA record", Assert.IsType<MtaStsDetail>(r.Detail).FetchError);
    }

    [Fact]
    public async Task A_certificate_from_an_untrusted_authority_fails()
    {
        var stranger = new TestCertificateAuthority("Stranger CA");
        using var server = Serve(Policy("version: STSv1\nmode: enforce\nmx: *.good.sts.test\nmax_age: 604800\n"), stranger.IssueServerCertificate(PolicyHost));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8461 3.3", r.Reference);
        Assert.StartsWith("the certificate is not trusted", Assert.IsType<MtaStsDetail>(r.Detail).FetchError);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_certificate_for_another_name_fails()
    {
        using var server = Serve(Policy("version: STSv1\nmode: enforce\nmx: *.good.sts.test\nmax_age: 604800\n"), Ca.IssueServerCertificate("mta-sts.other.sts.test"));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Contains($"is not valid for {PolicyHost}", Assert.IsType<MtaStsDetail>(r.Detail).FetchError);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData(404, "text/plain", null, "HTTP 404")]
    [InlineData(301, "text/plain", "https://elsewhere.sts.test/.well-known/mta-sts.txt", "redirects must not be followed")]
    [InlineData(200, "text/html", null, "not text/plain")]
    public async Task A_policy_not_served_as_a_plain_200_fails(int status, string contentType, string? location, string reason)
    {
        using var server = Serve(new HttpsAnswer(status, contentType, "version: STSv1\nmode: enforce\nmx: *.good.sts.test\nmax_age: 604800\n", location));
        var r = await MtaSts("good.sts.test", server.Port);
        Assert.Equal(MailDnsStatus.Fail, r.Status);
        Assert.Equal("RFC 8461 3.3", r.Reference);
        Assert.Contains(reason, Assert.IsType<MtaStsDetail>(r.Detail).FetchError);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Servfail_at_the_txt_name_is_a_temporary_error()
    {
        var r = await MtaSts("x.servfail.test");
        Assert.Equal(MailDnsStatus.TempError, r.Status);
        Assert.Equal("RFC 8461 3.1", r.Reference);
    }

    private static int ClosedPort() => TestPorts.Next();
}
