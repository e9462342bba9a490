using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailOps.Engine.Auth;
using MailOps.Engine.Configuration;
using MailOps.Engine.Tests.Imap;
using MailOps.Engine.Tests.Store;
using MailOps.Engine.Tests.TestSupport;
using MimeKit;

namespace MailOps.Engine.Tests.Server;

/// <summary>
/// Quotas from the users' passwd-file as a user meets them: a mail client's GETQUOTAROOT after SMTP deliveries and
/// after an expunge, APPEND and COPY refused with [OVERQUOTA], SMTP refusing a full mailbox at RCPT and bouncing a
/// message too big for the room left, and our IMAP answering the quota commands as Dovecot does on the same Maildir.
/// </summary>
public sealed class MailQuotaTests : IDisposable
{
    private readonly TestMailSite _site = new();

    public void Dispose() => _site.Dispose();

    private void SetQuota(string local, long? bytes)
    {
        var users = PasswdFile.Load(Path.Combine(_site.DataPath, "users.passwd"));
        users.SetQuota($"{local}@{TestMailSite.Domain}", bytes);
        users.Save();
    }

    private async Task SendAsync(string from, string to, string subject, int bodyBytes)
    {
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync("127.0.0.1", _site.MtaPort, SecureSocketOptions.None);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat(new string('q', 70) + "\n", bodyBytes / 71 + 1)) };
        try
        {
            await smtp.SendAsync(message);
        }
        finally
        {
            await smtp.DisconnectAsync(true);
        }
    }

    // What Dovecot's maildir quota counts: the S= size of every message file.
    private long StoredBytes(string local) =>
        _site.MessagesOf(local).Concat(Directory.GetDirectories(Path.Combine(_site.DataPath, "mail", TestMailSite.Domain, local, "Maildir"), ".*")
                .SelectMany(folder => new[] { "new", "cur" }.Select(d => Path.Combine(folder, d)).Where(Directory.Exists).SelectMany(Directory.GetFiles)))
            .Sum(f => long.Parse(Regex.Match(Path.GetFileName(f), @",S=(\d+)").Groups[1].Value));

    private static uint Kib(long bytes) => (uint)((bytes + 1023) / 1024);

    [Fact]
    public async Task A_mail_client_sees_the_quota_taken_by_mail_delivered_through_SMTP_and_given_back_by_an_expunge()
    {
        _site.AddUser("alice", "alice-pw");
        SetQuota("alice", 100 * 1024);
        await using var server = await MailServer.StartAsync(_site.Config(imap: true, allowPlaintextAuthOnLoopback: true), "quota");
        await SendAsync("bob@remote.test", "alice@example.test", "first", 20_000);
        await SendAsync("bob@remote.test", "alice@example.test", "second", 30_000);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 2 && _site.Queued().Length == 0, "alice has both messages");

        using var imap = new ImapClient();
        await imap.ConnectAsync("127.0.0.1", _site.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync("alice@example.test", "alice-pw");
        Assert.True(imap.Capabilities.HasFlag(ImapCapabilities.Quota));
        var quota = await imap.Inbox.GetQuotaAsync();
        Assert.Equal("User quota", quota.QuotaRoot?.FullName);
        Assert.Equal(100u, quota.StorageLimit);
        var full = StoredBytes("alice");
        Assert.True(full > 50_000, $"{full} bytes stored");
        Assert.Equal(Kib(full), quota.CurrentStorageSize);

        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await imap.Inbox.AddFlagsAsync(1, MessageFlags.Deleted, silent: true);
        await imap.Inbox.ExpungeAsync();
        quota = await imap.Inbox.GetQuotaAsync();
        await imap.DisconnectAsync(true);

        var left = StoredBytes("alice");
        Assert.True(left < full - 30_000, $"{left} of {full} bytes left");
        Assert.Equal(Kib(left), quota.CurrentStorageSize);
    }

    [Fact]
    public async Task APPEND_and_COPY_over_the_quota_get_NO_OVERQUOTA_and_store_nothing_STATUS_tells_what_an_expunge_frees_and_MOVE_still_works()
    {
        _site.AddUser("alice", "alice-pw");
        SetQuota("alice", 10 * 1024);
        await using var server = await MailServer.StartAsync(_site.Config(imap: true, allowPlaintextAuthOnLoopback: true), "quota");
        await SendAsync("bob@remote.test", "alice@example.test", "six thousand", 6000);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1 && _site.Queued().Length == 0, "alice has the message");
        var before = StoredBytes("alice");

        const string script = """
            import imaplib, sys
            imaplib.Commands.setdefault('MOVE', ('SELECTED',))
            c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
            c.login('alice@example.test', 'alice-pw')
            typ, data = c.append('INBOX', None, None, b'Subject: big\r\n\r\n' + b'z' * 6000 + b'\r\n')
            print('APPEND', typ, data[0].decode())
            c.select('INBOX')
            typ, data = c.copy('1', 'Trash')
            print('COPY', typ, data[0].decode())
            c.store('1', '+FLAGS', '\\Deleted')
            typ, data = c.status('INBOX', '(DELETED-STORAGE)')
            print('STATUS', data[0].decode())
            typ, data = c._simple_command('MOVE', '1', 'Trash')
            print('MOVE', typ)
            c.logout()
            """;
        var (exit, output, error) = await ExternalProgram.RunAsync("/usr/bin/python3", ["-c", script, _site.ImapPort.ToString()]);
        Assert.True(exit == 0, output + error);

        Assert.Contains("APPEND NO [OVERQUOTA] Quota exceeded (mailbox for user is full).", output);
        Assert.Contains("COPY NO [OVERQUOTA] Quota exceeded (mailbox for user is full).", output);
        // RFC 9208 5.1: what an EXPUNGE would give back, in the units of STORAGE.
        Assert.True(output.Contains($"STATUS \"INBOX\" (DELETED-STORAGE {Kib(before)})", StringComparison.Ordinal), output);
        Assert.Contains("MOVE OK", output);
        // Nothing was stored by the refused commands: the one message is now in Trash alone.
        Assert.Empty(_site.MessagesOf("alice"));
        Assert.Equal(before, StoredBytes("alice"));
    }

    [Fact]
    public async Task SMTP_refuses_a_message_no_mailbox_has_room_for_with_552_5_2_2_bounces_it_for_the_full_one_of_two_and_refuses_a_full_mailbox_at_RCPT_with_452_4_2_2()
    {
        _site.AddUser("alice");
        _site.AddUser("bob");
        _site.AddUser("carol");
        SetQuota("alice", 8000);
        await using var server = await MailServer.StartAsync(_site.Config(), "quota");
        await SendAsync("bob@example.test", "alice@example.test", "fits", 5000);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1 && _site.Queued().Length == 0, "alice has the first message");

        // Only alice, who has no room for it: refused at the end of DATA, nothing queued.
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync("carol@example.test", "alice@example.test", "too big", 5000));
        Assert.Equal(SmtpErrorCode.MessageNotAccepted, refused.ErrorCode);
        Assert.Equal(552, (int)refused.StatusCode);
        Assert.Matches(@"reject: END-OF-MESSAGE from [^:]+: 552 5\.2\.2 <alice@example\.test> Quota exceeded \(mailbox for user is full\);", _site.Log());
        Assert.Empty(_site.Queued());

        // Alice and bob: queued for bob's sake; alice's copy bounces and carol gets the report.
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", _site.MtaPort, SecureSocketOptions.None);
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("carol@example.test"));
            message.To.Add(MailboxAddress.Parse("alice@example.test"));
            message.To.Add(MailboxAddress.Parse("bob@example.test"));
            message.Subject = "too big for alice";
            message.Body = new TextPart("plain") { Text = new string('q', 5000) };
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(true);
        }
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("carol").Length == 1 && _site.MessagesOf("bob").Length == 1 && _site.Queued().Length == 0,
            "bob has the message and carol the bounce");
        Assert.Single(_site.MessagesOf("alice"));
        Assert.Matches(@"to=<alice@example\.test>, relay=local, .*dsn=5\.2\.2, status=bounced \(Quota exceeded \(mailbox for user is full\)\)", _site.Log());
        var report = await File.ReadAllTextAsync(_site.MessagesOf("carol").Single());
        Assert.Contains("Final-Recipient: rfc822; alice@example.test", report);
        Assert.Contains("Status: 5.2.2", report);

        // The administrator lowers the quota below the usage: the mailbox is full, and RCPT says so for now.
        SetQuota("alice", 4000);
        refused = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync("bob@example.test", "alice@example.test", "small", 10));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        Assert.Equal(452, (int)refused.StatusCode);
        Assert.Matches(@"reject: RCPT from [^:]+: 452 4\.2\.2 <alice@example\.test>: Recipient address rejected: Mailbox is full;", _site.Log());
        Assert.Single(_site.MessagesOf("alice"));
    }

    [Fact]
    public async Task Our_IMAP_answers_the_quota_commands_as_Dovecot_does_on_the_same_Maildirs()
    {
        _site.AddUser("alice", "alice-pw");
        _site.AddUser("bob", "bob-pw");
        SetQuota("alice", 10 * 1024);
        var owner = DovecotServer.MailOwner;
        await using var server = await MailServer.StartAsync(
            _site.Config(imap: true, allowPlaintextAuthOnLoopback: true, mailOwner: new MailOwner("mail", owner.Uid, owner.Gid)), "quota");
        await SendAsync("carol@remote.test", "alice@example.test", "for alice", 3000);
        await SendAsync("carol@remote.test", "bob@example.test", "for bob", 3000);
        await TestMailSite.WaitUntilAsync(() => _site.MessagesOf("alice").Length == 1 && _site.MessagesOf("bob").Length == 1 && _site.Queued().Length == 0, "both delivered");

        string MaildirOf(string local) => Path.Combine(_site.DataPath, "mail", TestMailSite.Domain, local, "Maildir");
        using var dovecot = DovecotServer.Start(
        [
            new DovecotUser("alice@example.test", "alice-pw", "maildir:" + MaildirOf("alice"), "userdb_quota_rule=*:storage=10K"),
            new DovecotUser("bob@example.test", "bob-pw", "maildir:" + MaildirOf("bob")),
        ], extraConfig: MaildirQuotaTests.QuotaPluginConfig);

        foreach (var (user, password) in new[] { ("alice@example.test", "alice-pw"), ("bob@example.test", "bob-pw") })
        {
            var ours = await QuotaDialogueAsync(_site.ImapPort, user, password);
            var theirs = await QuotaDialogueAsync(dovecot.ImapPort, user, password);
            // RFC 9208 4.3.2 wants a QUOTAROOT response even without roots; Dovecot leaves it out for a user without a quota.
            if (user.StartsWith("bob", StringComparison.Ordinal))
            {
                Assert.Equal<string>(["* QUOTAROOT INBOX", "* QUOTAROOT Trash"], ours.Where(l => l.StartsWith("* QUOTAROOT", StringComparison.Ordinal)));
                ours.RemoveAll(l => l.StartsWith("* QUOTAROOT", StringComparison.Ordinal));
            }
            Assert.Equal(theirs, ours);
        }
        Assert.Contains($"* QUOTA \"User quota\" (STORAGE {Kib(StoredBytes("alice"))} 10)", await QuotaDialogueAsync(_site.ImapPort, "alice@example.test", "alice-pw"));
        Assert.Empty(dovecot.LogProblems());
    }

    // The quota commands' answers, with Dovecot's timing "(0.001 + 0.000 secs)" taken out of its tagged lines.
    private static async Task<List<string>> QuotaDialogueAsync(int port, string user, string password)
    {
        await using var imap = await RawImapClient.ConnectAsync(port);
        await imap.CommandAsync($"LOGIN {user} {password}");
        var lines = new List<string>();
        foreach (var command in new[] { "GETQUOTAROOT INBOX", "GETQUOTAROOT Trash", "GETQUOTA \"User quota\"", "GETQUOTA \"\"", "SETQUOTA \"User quota\" (STORAGE 100000)" })
            lines.AddRange(await imap.CommandAsync(command));
        await imap.CommandAsync("LOGOUT");
        return lines.Select(l => Regex.Replace(l, @" \([0-9.+ ]+ secs\)\.$", ".")).ToList();
    }
}
