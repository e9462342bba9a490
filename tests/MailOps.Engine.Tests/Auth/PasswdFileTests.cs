using MailOps.Engine.Auth;

namespace MailOps.Engine.Tests.Auth;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PasswdFileTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("mailops-passwd-").FullName;
    string PasswdPath => Path.Combine(_directory, "users");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    const string Existing = """
        # example.com users, managed by hand and by MailOps
        alice@example.com:{PLAIN}alice-pw::::::userdb_quota_rule=*:storage=1G userdb_quota_rule2=Trash:storage=+100M
        %strange line without a colon

        bob@example.com:{SHA512-CRYPT}$6$x$y:1000:1000:Bob:/home/bob:/bin/false:nologin=y reason=gone allow_nets=127.0.0.1
        carol@example.com:{PLAIN}c
        """;

    [Fact]
    public void Rewriting_keeps_comments_unknown_lines_and_untouched_users_byte_for_byte()
    {
        File.WriteAllText(PasswdPath, Existing + "\n");
        var file = PasswdFile.Load(PasswdPath);
        file.SetQuota("carol@example.com", 5L * 1024 * 1024);
        file.Add(new MailUser { Address = "dave@example.com", PasswordHash = "{PLAIN}d" });
        file.Save();

        var lines = File.ReadAllLines(PasswdPath);
        var before = (Existing + "\n").Split('\n');
        Assert.Equal(before[..5], lines[..5]);
        Assert.Equal("carol@example.com:{PLAIN}c::::::userdb_quota_rule=*:storage=5M", lines[5]);
        Assert.Equal("dave@example.com:{PLAIN}d::::::", lines[6]);
    }

    [Fact]
    public void Fields_extra_fields_quota_and_disabled_state_are_read_as_Dovecot_reads_them()
    {
        File.WriteAllText(PasswdPath, Existing);
        var file = PasswdFile.Load(PasswdPath);
        var alice = file.Find("ALICE@example.com")!;
        Assert.Equal(1L << 30, alice.QuotaBytes);
        Assert.True(alice.Enabled);
        Assert.Equal(["userdb_quota_rule2=Trash:storage=+100M"], alice.OtherExtraFields);
        var bob = file.Find("bob@example.com")!;
        Assert.False(bob.Enabled);
        Assert.Null(bob.QuotaBytes);
        Assert.Equal(("1000", "1000", "Bob", "/home/bob", "/bin/false"), (bob.Uid, bob.Gid, bob.Gecos, bob.Home, bob.Shell));
        Assert.Equal(["allow_nets=127.0.0.1"], bob.OtherExtraFields);
        Assert.Equal(3, file.Users.Count);
    }

    [Theory]
    [InlineData("*:storage=1024", 1024L * 1024)] // no unit: kilobytes (Dovecot quota.c)
    [InlineData("*:storage=10B", 10L)]
    [InlineData("*:storage=2g", 2L << 30)]
    public void A_quota_rule_without_a_unit_means_kilobytes_as_in_Dovecot(string rule, long bytes)
    {
        File.WriteAllText(PasswdPath, $"u@example.com:{{PLAIN}}x::::::userdb_quota_rule={rule}\n");
        Assert.Equal(bytes, PasswdFile.Load(PasswdPath).Find("u@example.com")!.QuotaBytes);
    }

    [Fact]
    public void Quotas_are_written_in_the_largest_exact_unit_and_read_back_to_the_byte()
    {
        var file = PasswdFile.Load(PasswdPath);
        long[] quotas = [1000, 1024, 3L * 1024 * 1024, (1L << 30) + 1, 5L << 40];
        for (var i = 0; i < quotas.Length; i++)
            file.Add(new MailUser { Address = $"u{i}@example.com", PasswordHash = "{PLAIN}x", QuotaBytes = quotas[i] });
        file.Save();
        var text = File.ReadAllText(PasswdPath);
        Assert.Contains("storage=1000B", text);
        Assert.Contains("storage=1K", text);
        Assert.Contains("storage=3M", text);
        Assert.Contains("storage=5T", text);
        var again = PasswdFile.Load(PasswdPath);
        Assert.Equal(quotas, again.Users.Select(u => u.QuotaBytes!.Value));
    }

    [Fact]
    public void Adding_an_existing_address_in_any_case_is_refused()
    {
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "Erin@Example.com", PasswordHash = "{PLAIN}x" });
        Assert.Equal("erin@example.com", file.Users.Single().Address);
        var error = Assert.Throws<MailUserExistsException>(() => file.Add(new MailUser { Address = "ERIN@example.com", PasswordHash = "{PLAIN}y" }));
        Assert.Equal("erin@example.com", error.Address);
        Assert.Throws<MailUserNotFoundException>(() => file.SetEnabled("nobody@example.com", false));
        Assert.Throws<ArgumentException>(() => file.Add(new MailUser { Address = "a:b@example.com", PasswordHash = "{PLAIN}y" }));
    }

    [Fact]
    public void Users_are_listed_by_wildcard_and_removed_without_touching_the_others()
    {
        File.WriteAllText(PasswdPath, Existing);
        var file = PasswdFile.Load(PasswdPath);
        Assert.Equal(["alice@example.com", "bob@example.com"], file.List("?????@*").Select(u => u.Address).Take(1).Concat(file.List("b*").Select(u => u.Address)));
        Assert.Equal(3, file.List().Count);
        Assert.Empty(file.List("*@example.org"));
        Assert.True(file.Remove("BOB@example.com"));
        Assert.False(file.Remove("bob@example.com"));
        file.Save();
        Assert.DoesNotContain("bob@", File.ReadAllText(PasswdPath));
        Assert.Contains("%strange line without a colon", File.ReadAllText(PasswdPath));
    }

    [Fact]
    public void Disabling_writes_nologin_and_enabling_removes_it_again()
    {
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "f@example.com", PasswordHash = "{PLAIN}x" });
        file.SetEnabled("f@example.com", false);
        Assert.Contains("nologin=y", file.Render());
        file.SetEnabled("f@example.com", true);
        Assert.DoesNotContain("nologin", file.Render());
    }

    [Fact]
    public void A_new_file_is_created_readable_by_its_owner_only_and_no_temporary_file_is_left_behind()
    {
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "g@example.com", PasswordHash = PasswordScheme.Hash("pw") });
        file.Save();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PasswdPath));
        Assert.Equal(["users"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_authenticator_accepts_the_right_password_only_for_enabled_users()
    {
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "h@example.com", PasswordHash = PasswordScheme.Hash("pw") });
        file.Add(new MailUser { Address = "i@example.com", PasswordHash = PasswordScheme.Hash("pw"), Enabled = false });
        file.Save();
        var authenticator = new PasswdFileAuthenticator(PasswdPath);
        Assert.True(await authenticator.AuthenticateAsync("H@example.com", "pw", CancellationToken.None));
        Assert.False(await authenticator.AuthenticateAsync("h@example.com", "PW", CancellationToken.None));
        Assert.False(await authenticator.AuthenticateAsync("i@example.com", "pw", CancellationToken.None));
        Assert.False(await authenticator.AuthenticateAsync("j@example.com", "pw", CancellationToken.None));
    }
}
