using System.Text.Json;
using MailOps.Engine.Auth;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Auth;

public sealed class ShaCryptTests
{
    // Ulrich Drepper's SHA-crypt specification, test vectors section.
    [Theory]
    [InlineData("$6$saltstring", "Hello world!",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")]
    [InlineData("$6$rounds=10000$saltstringsaltstring", "Hello world!",
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.")]
    [InlineData("$6$rounds=5000$toolongsaltstring", "This is just a test",
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0")]
    [InlineData("$6$rounds=10$roundstoolow", "the minimum number is still observed",
        "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.")]
    [InlineData("$5$saltstring", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5")]
    [InlineData("$5$rounds=10000$saltstringsaltstring", "Hello world!",
        "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA")]
    public void The_specifications_test_vectors_come_out_exactly(string setting, string password, string expected)
    {
        var crypt = setting.StartsWith("$6$") ? ShaCrypt.Sha512 : ShaCrypt.Sha256;
        Assert.Equal(expected, crypt.Hash(password, setting));
        Assert.True(crypt.Verify(password, expected));
        Assert.False(crypt.Verify(password + "x", expected));
    }

    [Fact]
    public async Task Glibc_crypt_computes_the_same_hashes_as_we_do_for_awkward_passwords_salts_and_rounds()
    {
        string[] passwords = ["", "a", "correct horse battery staple", "pässwörd ✓", new string('x', 64), new string('y', 65),
            new string('z', 200), "colon:and space", "tab\there"];
        var cases = new List<(string Setting, string Password)>();
        foreach (var password in passwords)
        {
            cases.Add((ShaCrypt.Sha512.Hash(password), password));
            cases.Add((ShaCrypt.Sha512.Hash(password, rounds: 1234), password));
            cases.Add((ShaCrypt.Sha256.Hash(password), password));
            cases.Add(("$6$short$", password));
            cases.Add(("$6$rounds=5000$default-written$", password));
        }
        const string script = """
            import crypt, json, sys, warnings
            warnings.simplefilter("ignore")
            for setting, password in json.load(sys.stdin):
                print(crypt.crypt(password, setting))
            """;
        var input = JsonSerializer.Serialize(cases.Select(c => new[] { c.Setting, c.Password }));
        var python = await ExternalProgram.RunAsync("/usr/bin/python3", ["-c", script], input);
        Assert.True(python.ExitCode == 0, python.Error);
        var glibc = python.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Count, glibc.Length);
        for (var i = 0; i < cases.Count; i++)
        {
            var crypt = cases[i].Setting.StartsWith("$6$") ? ShaCrypt.Sha512 : ShaCrypt.Sha256;
            Assert.Equal(glibc[i], crypt.Hash(cases[i].Password, cases[i].Setting));
        }
    }

    [Fact]
    public async Task Openssl_passwd_6_makes_the_hash_we_make_for_the_same_salt()
    {
        var openssl = await ExternalProgram.RunAsync("/usr/bin/openssl", ["passwd", "-6", "-salt", "Raj4Z8WmmQb3IT6y", "s3cret"]);
        Assert.Equal(openssl.Output.Trim(), ShaCrypt.Sha512.Hash("s3cret", "$6$Raj4Z8WmmQb3IT6y"));
        var sha256 = await ExternalProgram.RunAsync("/usr/bin/openssl", ["passwd", "-5", "-salt", "abcdefgh", "s3cret"]);
        Assert.Equal(sha256.Output.Trim(), ShaCrypt.Sha256.Hash("s3cret", "$5$abcdefgh"));
    }

    [Fact]
    public async Task Doveadm_accepts_our_hashes_and_refuses_them_for_a_wrong_password()
    {
        var ours = PasswordScheme.Hash("s3cret pw", rounds: 7000);
        Assert.StartsWith("{SHA512-CRYPT}$6$rounds=7000$", ours);
        var right = await ExternalProgram.RunAsync("/usr/bin/doveadm", ["pw", "-t", ours, "-p", "s3cret pw"]);
        Assert.True(right.ExitCode == 0, right.Error);
        Assert.Contains("(verified)", right.Output + right.Error);
        var wrong = await ExternalProgram.RunAsync("/usr/bin/doveadm", ["pw", "-t", ours, "-p", "s3cret PW"]);
        Assert.NotEqual(0, wrong.ExitCode);
    }

    [Theory]
    [InlineData("SHA512-CRYPT", null)]
    [InlineData("SHA512-CRYPT", "20000")]
    [InlineData("SHA256-CRYPT", null)]
    [InlineData("PLAIN", null)]
    public async Task Hashes_doveadm_makes_verify_with_our_code(string scheme, string? rounds)
    {
        List<string> arguments = ["pw", "-s", scheme, "-p", "Dovecot's pässword"];
        if (rounds is not null)
            arguments.AddRange(["-r", rounds]);
        var doveadm = await ExternalProgram.RunAsync("/usr/bin/doveadm", arguments);
        Assert.True(doveadm.ExitCode == 0, doveadm.Error);
        var stored = doveadm.Output.Trim();
        Assert.True(PasswordScheme.Verify("Dovecot's pässword", stored), stored);
        Assert.False(PasswordScheme.Verify("Dovecot's password", stored), stored);
        if (rounds is not null)
            Assert.Contains("rounds=" + rounds, stored);
    }

    [Fact]
    public void A_bare_hash_is_read_in_the_default_scheme_and_an_unsupported_scheme_says_so()
    {
        var bare = ShaCrypt.Sha512.Hash("pw");
        Assert.True(PasswordScheme.Verify("pw", bare));
        Assert.True(PasswordScheme.Verify("pw", "{crypt}" + bare));
        Assert.True(PasswordScheme.Verify("pw", "{CLEARTEXT}pw"));
        Assert.Throws<NotSupportedException>(() =>
            PasswordScheme.Verify("x", "{BLF-CRYPT}$2y$05$Z3T0qmgcz3evBlfk3lmgG.1ah3RuYxDUyHx5lzWK1US7VTmGsCFye"));
    }

    [Fact]
    public void Two_hashes_of_one_password_have_different_16_character_salts()
    {
        var a = ShaCrypt.Sha512.Hash("same");
        var b = ShaCrypt.Sha512.Hash("same");
        Assert.NotEqual(a, b);
        Assert.Equal(16, a.Split('$')[2].Length);
        Assert.DoesNotContain("rounds=", a);
    }
}
