using MailKit.Net.Smtp;
using MailKit.Security;
using MailOps.Engine.Auth;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Hosts;
using MailOps.Tests.TestSupport;
using MimeKit;

namespace MailOps.Engine.Tests.Auth;

/// <summary>
/// Users and aliases changed over SSH (Debian's sshd on 127.0.0.1 and 127.0.0.2) in files that a real Dovecot and a
/// real Postfix on this machine read: the proof is a login, a postmap -q and a delivered message.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostMailAccountsTests(SshFleet fleet) : IClassFixture<SshFleet>, IDisposable
{
    const UnixFileMode RootDovecot0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    readonly string _directory = NewDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_user_created_over_SSH_logs_in_to_Dovecot_then_a_new_password_replaces_the_old_then_disabled_and_removed_users_cannot()
    {
        var users = await PasswdFileForDovecotAsync();
        await using var host = await fleet.ConnectAsync(fleet.First);
        await using var dovecot = await DovecotAuthServer.StartAsync(users);
        // The file Dovecot's passdb reads is the one doveconf names.
        Assert.Equal(users, await HostMailAccounts.FindUsersFileAsync(host, dovecot.ConfigPath));

        var added = await HostMailAccounts.AddUserAsync(host, users, "Alice@Example.com", PasswordScheme.Hash("first horse"), quotaBytes: 1L << 30);
        Assert.Equal("alice@example.com", added.Address);
        Assert.True(await DovecotAuthServer.EventuallyAsync(() => dovecot.LogsInAsync("alice@example.com", "first horse")), File.ReadAllText(dovecot.LogPath));

        await HostMailAccounts.SetUserAsync(host, users, "alice@example.com", passwordHash: PasswordScheme.Hash("second horse"));
        Assert.True(await DovecotAuthServer.EventuallyAsync(() => dovecot.LogsInAsync("alice@example.com", "second horse")));
        Assert.False(await dovecot.LogsInAsync("alice@example.com", "first horse"));

        var disabled = await HostMailAccounts.SetUserAsync(host, users, "alice@example.com", enabled: false);
        Assert.False(disabled.Enabled);
        Assert.Equal(1L << 30, disabled.QuotaBytes);
        Assert.True(await DovecotAuthServer.EventuallyAsync(async () => !await dovecot.LogsInAsync("alice@example.com", "second horse")));

        await HostMailAccounts.SetUserAsync(host, users, "alice@example.com", enabled: true);
        Assert.True(await DovecotAuthServer.EventuallyAsync(() => dovecot.LogsInAsync("alice@example.com", "second horse")));
        await HostMailAccounts.RemoveUserAsync(host, users, "alice@example.com");
        Assert.True(await DovecotAuthServer.EventuallyAsync(async () => !await dovecot.LogsInAsync("alice@example.com", "second horse")));
        Assert.Null((await HostMailAccounts.ReadUsersAsync(host, users)).Find("alice@example.com"));
        await Assert.ThrowsAsync<MailUserNotFoundException>(() => HostMailAccounts.RemoveUserAsync(host, users, "alice@example.com"));
    }

    [Fact]
    public async Task A_change_keeps_the_files_owner_group_and_mode_and_its_comments_and_keeps_the_previous_file_as_bak()
    {
        var users = await PasswdFileForDovecotAsync();
        var before = File.ReadAllText(users);
        await using var host = await fleet.ConnectAsync(fleet.Second);

        await HostMailAccounts.AddUserAsync(host, users, "bob@example.com", PasswordScheme.Hash("pw"));

        Assert.Equal(RootDovecot0640, File.GetUnixFileMode(users));
        Assert.Equal("root:dovecot", Stat("%U:%G", users));
        Assert.StartsWith(before, File.ReadAllText(users));
        Assert.Equal(before, File.ReadAllText(HostTextFile.BackupPath(users)));
        Assert.Equal(RootDovecot0640, File.GetUnixFileMode(HostTextFile.BackupPath(users)));
        // No temporary file is left beside it.
        Assert.Equal(["users", "users.bak", "users.lock"], Directory.GetFiles(_directory).Select(f => Path.GetFileName(f)).Order().ToArray());
        await Assert.ThrowsAsync<MailUserExistsException>(() => HostMailAccounts.AddUserAsync(host, users, "BOB@example.com", PasswordScheme.Hash("pw")));
    }

    [Fact]
    public async Task Twelve_writers_at_once_on_one_host_over_two_connections_all_end_up_in_the_file()
    {
        var users = await PasswdFileForDovecotAsync();
        await using var one = await fleet.ConnectAsync(fleet.First);
        await using var two = await fleet.ConnectAsync(fleet.First);
        var hash = PasswordScheme.Hash("pw");

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            HostMailAccounts.AddUserAsync(i % 2 == 0 ? one : two, users, $"user{i}@example.com", hash)));

        var file = PasswdFile.Load(users);
        Assert.Equal(12, file.Users.Count);
        Assert.All(Enumerable.Range(0, 12), i => Assert.NotNull(file.Find($"user{i}@example.com")));
    }

    [Fact]
    public async Task An_alias_added_over_SSH_resolves_with_postmap_and_a_private_Postfix_delivers_its_mail_to_the_destination()
    {
        using var postfix = PostfixInstance.Start("mx.example.test", "example.test", "bob");
        var conf = Path.Combine(postfix.Directory, "conf");
        var virtualFile = Path.Combine(conf, "virtual");
        File.WriteAllText(virtualFile, "# aliases of example.test\n");
        Run("postmap", $"hash:{virtualFile}");
        Run("postconf", "-c", conf, "-e", $"virtual_alias_maps=hash:$config_directory/virtual");
        Run("postfix", "-c", conf, "reload");
        await using var host = await fleet.ConnectAsync(fleet.Second);

        // Found through postconf -x -h virtual_alias_maps, $config_directory expanded.
        var table = await HostMailAccounts.FindAliasesTableAsync(host, null, conf);
        Assert.Equal($"hash:{virtualFile}", table);
        Assert.Equal(table, await HostMailAccounts.FindAliasesTableAsync(host, virtualFile, conf));
        var alias = await HostMailAccounts.AddAliasAsync(host, table, "Sales@example.test", ["bob@example.test"]);
        Assert.Equal("sales@example.test", alias.Pattern);

        Assert.Equal("bob@example.test", Run("postmap", "-q", "sales@example.test", table).Trim());
        Assert.Equal("# aliases of example.test\n", File.ReadAllText(HostTextFile.BackupPath(virtualFile)));
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", postfix.Port, SecureSocketOptions.None);
            var message = new MimeMessage { Subject = "to the alias" };
            message.From.Add(MailboxAddress.Parse("someone@example.org"));
            message.To.Add(MailboxAddress.Parse("sales@example.test"));
            message.Body = new TextPart("plain") { Text = "hello" };
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(true);
        }
        var log = postfix.WaitForLog("status=sent");
        Assert.Contains("to=<bob@example.test>, orig_to=<sales@example.test>", log);
        Assert.Single(Directory.GetFiles(Path.Combine(postfix.Directory, "mail", "example.test", "bob", "new")));

        await HostMailAccounts.RemoveAliasAsync(host, table, "sales@example.test");
        Assert.Equal(1, Program("postmap", "-q", "sales@example.test", table).ExitCode);
    }

    [Fact]
    public async Task Shell_syntax_in_a_file_name_or_an_address_stays_inert()
    {
        var marker = Path.Combine(_directory, "marker");
        await using var host = await fleet.ConnectAsync(fleet.First);
        var odd = Path.Combine(_directory, $"users'; touch {marker}; echo '$(touch {marker})`touch {marker}`");
        // The marker's slashes make folders of the name; they exist, so only the quoting stands between it and a shell.
        Directory.CreateDirectory(Path.GetDirectoryName(odd)!);

        await HostMailAccounts.AddUserAsync(host, odd, "a$(touch${IFS}" + marker + ")`id`@example.com", PasswordScheme.Hash("pw"));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            HostMailAccounts.AddUserAsync(host, odd, "x; touch " + marker + "@example.com", PasswordScheme.Hash("pw")));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            HostMailAccounts.FindAliasesTableAsync(host, "hash:relative; touch " + marker, null));

        Assert.False(File.Exists(marker));
        Assert.Equal(("a$(touch${IFS}" + marker + ")`id`@example.com").ToLowerInvariant(), Assert.Single(PasswdFile.Load(odd).Users).Address);
    }

    [Fact]
    public async Task A_passdb_without_one_file_and_a_file_that_cannot_be_read_are_errors_not_guesses()
    {
        var conf = Path.Combine(_directory, "dovecot.conf");
        File.WriteAllText(conf, $"base_dir = {_directory}/run\npassdb {{\n  driver = passwd-file\n  args = /etc/dovecot/%d/passwd\n}}\n");
        await using var host = await fleet.ConnectAsync(fleet.First);
        await Assert.ThrowsAsync<FileNotFoundException>(() => HostMailAccounts.FindUsersFileAsync(host, conf));
        var unreadable = await Assert.ThrowsAsync<IOException>(() => HostMailAccounts.ReadUsersAsync(host, _directory));
        Assert.Contains("Is a directory", unreadable.Message);
    }

    // A passwd-file as an administrator sets it up for Dovecot, whose auth process runs as the dovecot user: root:dovecot 0640.
    async Task<string> PasswdFileForDovecotAsync()
    {
        var path = Path.Combine(_directory, "users");
        await File.WriteAllTextAsync(path, "# users of example.com\n");
        Run("chgrp", "dovecot", path);
        File.SetUnixFileMode(path, RootDovecot0640);
        return path;
    }

    static string NewDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("mailops-host-accounts-").FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        return directory;
    }

    static string Stat(string format, string path) => Run("stat", "-c", format, path).Trim();

    static string Run(string program, params string[] arguments)
    {
        var (exitCode, output, error) = Program(program, arguments);
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
        return output;
    }

    static (int ExitCode, string Output, string Error) Program(string program, params string[] arguments) =>
        ExternalProgram.RunAsync(program, arguments).GetAwaiter().GetResult();
}
