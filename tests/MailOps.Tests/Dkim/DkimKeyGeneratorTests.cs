using System.Diagnostics;
using System.Text.RegularExpressions;
using MailOps.Dkim;

namespace MailOps.Tests.Dkim;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DkimKeyGeneratorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mailops-dkim-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    /// <summary>Runs openssl on the key file and returns the public key it reads, DER in base64.</summary>
    private static byte[] OpensslPublicKey(string path)
    {
        var psi = new ProcessStartInfo("openssl", ["pkey", "-in", path, "-pubout", "-outform", "DER"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        using var buffer = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(buffer);
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "openssl could not read the key: " + err);
        return buffer.ToArray();
    }

    [Fact]
    public void An_rsa_key_is_written_as_pkcs8_pem_that_openssl_reads_and_its_public_half_is_published()
    {
        var key = DkimKeyGenerator.Create("Example.COM", "Mail", DkimKeyAlgorithm.Rsa2048, _dir);
        Assert.Equal("example.com", key.Domain);
        Assert.Equal("mail", key.Selector);
        Assert.Equal(2048, key.KeySize);
        Assert.Equal(Path.Combine(_dir, "example.com.mail.key"), key.PrivateKeyPath);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key.PrivateKeyPath));
        Assert.Equal(Convert.ToBase64String(OpensslPublicKey(key.PrivateKeyPath)), key.PublicKey);
        Assert.Equal($"v=DKIM1; k=rsa; p={key.PublicKey}", key.DnsValue);
        Assert.Equal("mail._domainkey.example.com", key.DnsName);
    }

    [Fact]
    public void An_ed25519_key_publishes_the_raw_32_byte_public_key_that_openssl_derives_from_the_file()
    {
        var key = DkimKeyGenerator.Create("example.com", "ed", DkimKeyAlgorithm.Ed25519, _dir);
        Assert.Equal(256, key.KeySize);
        var spki = OpensslPublicKey(key.PrivateKeyPath);
        // RFC 8463 4.2: p= is the key itself, the last 32 bytes of the SubjectPublicKeyInfo openssl prints.
        Assert.Equal(Convert.ToBase64String(spki[^32..]), key.PublicKey);
        Assert.Equal($"v=DKIM1; k=ed25519; p={key.PublicKey}", key.DnsValue);
    }

    [Fact]
    public void The_private_key_file_is_readable_by_its_owner_only()
    {
        var key = DkimKeyGenerator.Create("example.com", "mail", DkimKeyAlgorithm.Ed25519, _dir);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key.PrivateKeyPath));
    }

    [Fact]
    public void A_second_run_without_force_refuses_and_keeps_the_first_key()
    {
        var first = DkimKeyGenerator.Create("example.com", "mail", DkimKeyAlgorithm.Ed25519, _dir);
        var text = File.ReadAllText(first.PrivateKeyPath);
        var e = Assert.Throws<DkimKeyExistsException>(() => DkimKeyGenerator.Create("example.com", "mail", DkimKeyAlgorithm.Ed25519, _dir));
        Assert.Equal(first.PrivateKeyPath, e.Path);
        Assert.Equal(text, File.ReadAllText(first.PrivateKeyPath));
    }

    [Fact]
    public void With_force_the_key_is_replaced_still_owner_only_and_no_temporary_file_is_left()
    {
        var first = DkimKeyGenerator.Create("example.com", "mail", DkimKeyAlgorithm.Ed25519, _dir);
        var second = DkimKeyGenerator.Create("example.com", "mail", DkimKeyAlgorithm.Ed25519, _dir, force: true);
        Assert.NotEqual(first.PublicKey, second.PublicKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(second.PrivateKeyPath));
        Assert.Equal([second.PrivateKeyPath], Directory.GetFiles(_dir));
    }

    [Fact]
    public void The_zone_file_record_splits_the_text_into_strings_of_at_most_255_bytes_that_join_to_the_dns_value()
    {
        var key = DkimKeyGenerator.Create("example.com", "big", DkimKeyAlgorithm.Rsa4096, _dir, testing: true);
        Assert.StartsWith("big._domainkey.example.com. IN TXT ( \"", key.ZoneFileRecord);
        var strings = Regex.Matches(key.ZoneFileRecord, "\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(3, strings.Length);
        Assert.All(strings, s => Assert.InRange(s.Length, 1, 255));
        Assert.Equal(key.DnsValue, string.Concat(strings));
        Assert.StartsWith("v=DKIM1; k=rsa; t=y; p=", key.DnsValue);
    }

    [Fact]
    public void The_opendkim_table_lines_name_the_key_file()
    {
        var key = DkimKeyGenerator.Create("example.com", "mail", DkimKeyAlgorithm.Ed25519, _dir);
        Assert.Equal($"mail._domainkey.example.com example.com:mail:{key.PrivateKeyPath}", key.KeyTable);
        Assert.Equal("*@example.com mail._domainkey.example.com", key.SigningTable);
    }

    [Theory]
    [InlineData("example.com", "bad_selector")]
    [InlineData("example.com", "-mail")]
    [InlineData("not a domain", "mail")]
    public void A_bad_domain_or_selector_is_refused_before_any_file_is_written(string domain, string selector)
    {
        Assert.Throws<ArgumentException>(() => DkimKeyGenerator.Create(domain, selector, DkimKeyAlgorithm.Ed25519, _dir));
        Assert.False(Directory.Exists(_dir));
    }

    [Fact]
    public void The_default_selector_names_the_year_and_month()
    {
        Assert.Equal("s202611", DkimKeyGenerator.DefaultSelector(new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero)));
    }
}
