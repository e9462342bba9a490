using MailKit.Net.Imap;
using MailKit.Security;
using MailOps.Engine.Auth;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Auth;

/// <summary>The proof: users our PasswdFile writes log in to Debian's Dovecot exactly as intended.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DovecotLoginTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("mailops-auth-login-").FullName;
    string PasswdPath => Path.Combine(_directory, "users");

    // As an administrator sets it up: Dovecot's auth process runs as the dovecot user, so the file is root:dovecot 0640.
    public async Task InitializeAsync()
    {
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        await File.WriteAllTextAsync(PasswdPath, "# users of example.com\n");
        Assert.Equal(0, (await ExternalProgram.RunAsync("/bin/chgrp", ["dovecot", PasswdPath])).ExitCode);
        File.SetUnixFileMode(PasswdPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_user_added_with_PasswdFile_logs_in_to_Dovecot_with_the_right_password_and_not_with_a_wrong_one()
    {
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "alice@example.com", PasswordHash = PasswordScheme.Hash("correct horse"), QuotaBytes = 1L << 30 });
        file.Save();
        // The rewrite kept the group and mode the auth process needs (it would fail with "Permission denied" otherwise).
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(PasswdPath));
        Assert.Equal("dovecot", (await ExternalProgram.RunAsync("/usr/bin/stat", ["-c", "%G", PasswdPath])).Output.Trim());
        Assert.StartsWith("# users of example.com\n", File.ReadAllText(PasswdPath));

        await using var dovecot = await DovecotAuthServer.StartAsync(PasswdPath);

        Assert.True(await MailKitLogsInAsync(dovecot, "alice@example.com", "correct horse"), File.ReadAllText(dovecot.LogPath));
        Assert.False(await MailKitLogsInAsync(dovecot, "alice@example.com", "wrong horse"));
        Assert.False(await MailKitLogsInAsync(dovecot, "nobody@example.com", "correct horse"));
        Assert.Equal("OK", await PythonLoginAsync(dovecot, "alice@example.com", "correct horse"));
        Assert.Equal("NO", await PythonLoginAsync(dovecot, "alice@example.com", "wrong horse"));
        // Dovecot lower-cases the login name (auth_username_format = %Lu), and so do we when we store it.
        Assert.True(await MailKitLogsInAsync(dovecot, "Alice@Example.COM", "correct horse"));

        // The quota rule we wrote is the one Dovecot's userdb returns.
        var user = await ExternalProgram.RunAsync("/usr/bin/doveadm", ["-c", dovecot.ConfigPath, "user", "alice@example.com"]);
        Assert.Contains("quota_rule\t*:storage=1G", user.Output);
    }

    [Fact]
    public async Task A_disabled_user_cannot_log_in_even_with_the_right_password_and_can_again_once_enabled()
    {
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "bob@example.com", PasswordHash = PasswordScheme.Hash("s3cret"), Enabled = false });
        file.Save();
        await using var dovecot = await DovecotAuthServer.StartAsync(PasswdPath);

        Assert.False(await MailKitLogsInAsync(dovecot, "bob@example.com", "s3cret"));
        Assert.Equal("NO", await PythonLoginAsync(dovecot, "bob@example.com", "s3cret"));
        // Still a user for delivery: the userdb finds him.
        var user = await ExternalProgram.RunAsync("/usr/bin/doveadm", ["-c", dovecot.ConfigPath, "user", "bob@example.com"]);
        Assert.Equal(0, user.ExitCode);

        file = PasswdFile.Load(PasswdPath);
        file.SetEnabled("bob@example.com", true);
        file.Save();
        Assert.True(await EventuallyAsync(() => MailKitLogsInAsync(dovecot, "bob@example.com", "s3cret")), File.ReadAllText(dovecot.LogPath));
    }

    [Fact]
    public async Task A_password_change_takes_effect_in_the_running_Dovecot_and_in_our_authenticator()
    {
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "carol@example.com", PasswordHash = PasswordScheme.Hash("old password") });
        file.Save();
        var ours = new PasswdFileAuthenticator(PasswdPath);
        await using var dovecot = await DovecotAuthServer.StartAsync(PasswdPath);
        Assert.True(await MailKitLogsInAsync(dovecot, "carol@example.com", "old password"));
        Assert.True(await ours.AuthenticateAsync("carol@example.com", "old password", CancellationToken.None));

        file = PasswdFile.Load(PasswdPath);
        file.SetPassword("carol@example.com", "new password", rounds: 10000);
        file.Save();

        Assert.True(await EventuallyAsync(async () => !await MailKitLogsInAsync(dovecot, "carol@example.com", "old password")));
        Assert.True(await MailKitLogsInAsync(dovecot, "carol@example.com", "new password"), File.ReadAllText(dovecot.LogPath));
        Assert.Equal("OK", await PythonLoginAsync(dovecot, "carol@example.com", "new password"));
        Assert.False(await ours.AuthenticateAsync("carol@example.com", "old password", CancellationToken.None));
        Assert.True(await ours.AuthenticateAsync("carol@example.com", "new password", CancellationToken.None));
    }

    [Fact]
    public async Task Password_changes_of_the_same_length_within_one_second_each_reach_the_running_Dovecot()
    {
        // Dovecot reloads a passwd-file when its mtime (in seconds) or size changes; hashes of one scheme have one length.
        var file = PasswdFile.Load(PasswdPath);
        file.Add(new MailUser { Address = "dave@example.com", PasswordHash = PasswordScheme.Hash("password 0", rounds: 5000) });
        file.Save();
        await using var dovecot = await DovecotAuthServer.StartAsync(PasswdPath);
        Assert.True(await MailKitLogsInAsync(dovecot, "dave@example.com", "password 0"));
        for (var i = 1; i <= 4; i++)
        {
            file = PasswdFile.Load(PasswdPath);
            file.SetPassword("dave@example.com", $"password {i}", rounds: 5000);
            file.Save();
            Assert.True(await EventuallyAsync(() => MailKitLogsInAsync(dovecot, "dave@example.com", $"password {i}")), $"change {i}: " + File.ReadAllText(dovecot.LogPath));
        }
    }

    static Task<bool> EventuallyAsync(Func<Task<bool>> condition) => DovecotAuthServer.EventuallyAsync(condition);

    static Task<bool> MailKitLogsInAsync(DovecotAuthServer dovecot, string user, string password) => dovecot.LogsInAsync(user, password);

    static async Task<string> PythonLoginAsync(DovecotAuthServer dovecot, string user, string password)
    {
        const string script = """
            import imaplib, sys
            imap = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
            try:
                imap.login(sys.argv[2], sys.argv[3])
                print("OK")
                imap.logout()
            except imaplib.IMAP4.error:
                print("NO")
            """;
        var result = await ExternalProgram.RunAsync("/usr/bin/python3", ["-c", script, dovecot.Port.ToString(), user, password]);
        Assert.True(result.ExitCode == 0, result.Error);
        return result.Output.Trim();
    }
}
