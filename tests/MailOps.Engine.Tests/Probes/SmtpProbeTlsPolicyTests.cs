using System.Security.Cryptography;
using MailOps.Dns;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Probes;
using MailOps.Tests.TestSupport;

namespace MailOps.Engine.Tests.Probes;

/// <summary>
/// -Mx against a zone made for the test (served by nsd): each MX host probed, its certificate compared with the TLSA records
/// at _port._tcp.host (DANE) and with the domain's MTA-STS policy fetched over HTTPS from mta-sts.probe.test.
/// </summary>
public sealed class SmtpProbeTlsPolicyTests
{
    [Fact]
    public async Task The_mx_whose_tlsa_record_and_mta_sts_pattern_match_is_reported_matching_and_the_other_not()
    {
        using var ca = await OpensslCertificateAuthority.CreateAsync();
        var mxCertificate = await ca.IssueAsync("mx.probe.test");
        var policyCertificate = await ca.IssueAsync("mta-sts.probe.test");
        using var postfix = PostfixInstance.Start("mx.probe.test", "probe.test", ["alice"], $"""
            smtpd_tls_cert_file = {mxCertificate.CertificatePath}
            smtpd_tls_key_file = {mxCertificate.KeyPath}
            smtpd_tls_security_level = may
            """);
        // RFC 7671 5.1: DANE-EE(3) SPKI(1) SHA-256(1), the usual record for an SMTP server.
        var spki = Convert.ToHexStringLower(SHA256.HashData(mxCertificate.Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        var zone = $"""
            $ORIGIN probe.test.
            $TTL 300
            @       SOA ns.probe.test. hostmaster.probe.test. 1 3600 600 86400 300
            @       NS  ns
            ns      A   127.0.0.1
            @       MX  10 mx
            @       MX  20 mx2
            mx      A   127.0.0.1
            mx2     A   127.0.0.1
            _{postfix.Port}._tcp.mx  TLSA 3 1 1 {spki}
            _{postfix.Port}._tcp.mx2 TLSA 3 1 1 {new string('0', 64)}
            _mta-sts TXT "v=STSv1; id=20260101;"
            mta-sts A   127.0.0.1

            """;
        using var nsd = NsdServer.Start(new Dictionary<string, string> { ["probe.test"] = zone });
        using var policy = HttpsPolicyServer.Start(policyCertificate.Certificate, (_, path) => path == "/.well-known/mta-sts.txt"
            ? new HttpsAnswer(200, "text/plain", "version: STSv1\nmode: enforce\nmx: mx.probe.test\nmax_age: 86400\n")
            : new HttpsAnswer(404, "text/plain", "no"));

        var results = await SmtpProbe.ProbeMxAsync("probe.test", new SmtpProbeOptions
        {
            Host = "probe.test",
            Port = postfix.Port,
            TrustedRoots = ca.TrustStore,
            Resolver = new MailDnsResolver([nsd.Endpoint], TimeSpan.FromSeconds(2)),
            MtaStsPort = policy.Port,
            MtaStsTrustedRoots = ca.TrustStore,
        });

        Assert.Equal(["mx.probe.test", "mx2.probe.test"], results.Select(r => r.Server));
        Assert.All(results, r => Assert.Equal("probe.test", r.Domain));
        Assert.All(results, r => Assert.Equal("127.0.0.1", r.Address?.ToString()));
        var good = results[0];
        Assert.True(good.Succeeded, good.Error);
        Assert.True(good.Tls!.HostnameMatch);
        Assert.Equal([$"3 1 1 {spki}"], good.Tls.TlsaRecords);
        Assert.True(good.Tls.DaneMatch);
        Assert.Equal("enforce", good.Tls.MtaStsMode);
        Assert.True(good.Tls.MtaStsMatch);

        var other = results[1];
        Assert.Equal(SmtpProbeOutcome.Tls, other.Result);
        Assert.False(other.Tls!.HostnameMatch);
        Assert.False(other.Tls.DaneMatch);
        Assert.Equal("enforce", other.Tls.MtaStsMode);
        Assert.False(other.Tls.MtaStsMatch);
        Assert.Equal(["mta-sts.probe.test /.well-known/mta-sts.txt", "mta-sts.probe.test /.well-known/mta-sts.txt"], policy.Requests);
    }
}
