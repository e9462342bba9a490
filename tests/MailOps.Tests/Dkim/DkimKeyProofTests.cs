using System.Diagnostics;
using MailOps.Dkim;
using MailOps.Dns;
using MailOps.Tests.TestSupport;
using MimeKit;
using MimeKit.Cryptography;

namespace MailOps.Tests.Dkim;

/// <summary>
/// The proof that a generated key works end to end: its record served by a real nsd, a message signed with the key file
/// by MimeKit, and verified by an independent implementation (Debian's python3-dkim) that looks the key up in that nsd.
/// </summary>
public sealed class DkimKeyProofTests : IDisposable
{
    private const string Domain = "proof.test";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mailops-dkimproof-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static NsdServer Serve(params DkimKey[] keys) => NsdServer.Start(new Dictionary<string, string>
    {
        [Domain] = $"""
            $TTL 300
            {Domain}. SOA ns.{Domain}. hostmaster.{Domain}. 1 3600 600 86400 300
            {Domain}. NS ns.{Domain}.
            ns.{Domain}. A 127.0.0.1
            {string.Join("\n", keys.Select(k => k.ZoneFileRecord))}
            """,
    });

    private string Sign(DkimKey key, DkimSignatureAlgorithm algorithm)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", "alice@" + Domain));
        message.To.Add(new MailboxAddress("Bob", "bob@example.net"));
        message.Subject = "DKIM proof";
        message.Date = DateTimeOffset.UtcNow;
        message.Body = new TextPart("plain") { Text = "Hello Bob,\nthis message is signed.\n" };
        message.Prepare(EncodingConstraint.SevenBit);
        var signer = new DkimSigner(key.PrivateKeyPath, key.Domain, key.Selector, algorithm)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date]);
        var path = Path.Combine(_dir, $"{key.Selector}.eml");
        using (var file = File.Create(path)) message.WriteTo(file);
        return path;
    }

    [Theory]
    [InlineData(DkimKeyAlgorithm.Rsa2048, DkimSignatureAlgorithm.RsaSha256, "2048")]
    [InlineData(DkimKeyAlgorithm.Ed25519, DkimSignatureAlgorithm.Ed25519Sha256, "256")]
    public void A_message_signed_with_a_generated_key_verifies_with_python_dkim_against_the_published_record(
        DkimKeyAlgorithm algorithm, DkimSignatureAlgorithm signatureAlgorithm, string keySize)
    {
        var key = DkimKeyGenerator.Create(Domain, "proof", algorithm, _dir);
        using var nsd = Serve(key);
        var signed = Sign(key, signatureAlgorithm);

        var (code, signatures, output) = PythonDkim.Verify(signed, nsd.Port);
        Assert.True(code == 0, "python3-dkim rejected the signature: " + output);
        Assert.Equal([(true, int.Parse(keySize))], signatures);

        // The same message with one changed body byte must fail, or the check above proves nothing.
        var tampered = Path.Combine(_dir, "tampered.eml");
        File.WriteAllText(tampered, File.ReadAllText(signed).Replace("Hello Bob", "Hello Eve"));
        var (tamperedCode, tamperedSignatures, tamperedOutput) = PythonDkim.Verify(tampered, nsd.Port);
        Assert.True(tamperedCode == 1, "a tampered message verified: " + tamperedOutput);
        Assert.Equal([(false, (int?)null)], tamperedSignatures);
    }

    [Fact]
    public async Task The_dkim_check_confirms_the_published_record_matches_the_private_key_file_and_catches_another_key()
    {
        var rsa = DkimKeyGenerator.Create(Domain, "rsa", DkimKeyAlgorithm.Rsa2048, _dir);
        var ed = DkimKeyGenerator.Create(Domain, "ed", DkimKeyAlgorithm.Ed25519, _dir);
        var other = DkimKeyGenerator.Create(Domain, "other", DkimKeyAlgorithm.Rsa2048, Path.Combine(_dir, "other"));
        using var nsd = Serve(rsa, ed);
        var checker = new MailDnsChecker(new MailDnsResolver([nsd.Endpoint], TimeSpan.FromSeconds(2)));

        async Task<(MailDnsCheckResult, DkimSelectorDetail)> Check(string selector, string keyPath)
        {
            var r = Assert.Single(await checker.CheckAsync(Domain, new MailDnsCheckOptions
            {
                Checks = [MailDnsCheck.Dkim], DkimSelectors = [selector], DkimPrivateKeyPath = keyPath,
            }));
            return (r, Assert.Single(Assert.IsType<DkimDetail>(r.Detail).Selectors));
        }

        foreach (var key in new[] { rsa, ed })
        {
            var (match, matchDetail) = await Check(key.Selector, key.PrivateKeyPath);
            Assert.Equal(MailDnsStatus.Pass, match.Status);
            Assert.True(matchDetail.MatchesPrivateKey);
            Assert.Contains(match.Findings, f => f.Message.Contains("matches the private key"));
        }

        var (mismatch, mismatchDetail) = await Check("rsa", other.PrivateKeyPath);
        Assert.Equal(MailDnsStatus.Fail, mismatch.Status);
        Assert.False(mismatchDetail.MatchesPrivateKey);
        Assert.Contains("does not match the private key", mismatch.Summary);

        var (crossed, _) = await Check("ed", rsa.PrivateKeyPath);
        Assert.Equal(MailDnsStatus.Fail, crossed.Status);
    }
}
