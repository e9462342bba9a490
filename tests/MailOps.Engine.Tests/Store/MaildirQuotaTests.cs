using System.Text;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Store;

/// <summary>
/// The Maildir++ quota file as Dovecot's quota backend "maildir" keeps it: a limit line, one line per change, summed anew
/// when it cannot be trusted; and a store that refuses what would go over the limit. Dovecot itself reads our file in
/// <see cref="Dovecot_reports_the_usage_our_store_counted_and_we_count_what_Dovecots_LDA_delivered"/>.
/// </summary>
public sealed class MaildirQuotaTests : IDisposable
{
    private readonly string _work = DovecotServer.NewWorkDirectory("mailops-quota");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private Maildir Open(long? limit) =>
        new(Path.Combine(_work, "alice", "Maildir"), new MaildirOptions { Owner = DovecotServer.MailOwner }) { StorageLimit = limit };

    private string MaildirSize => Path.Combine(_work, "alice", "Maildir", "maildirsize");

    private static MemoryStream Message(string subject, int bodyBytes) =>
        new(Encoding.ASCII.GetBytes($"From: a@example.org\r\nSubject: {subject}\r\n\r\n{new string('x', bodyBytes)}\r\n"));

    [Fact]
    public async Task The_maildirsize_file_has_the_limit_line_then_a_line_per_delivery_and_a_negative_line_per_expunge()
    {
        var alice = Open(10240);
        var first = await alice.Inbox.DeliverAsync(Message("one", 1000));
        var second = await alice.Inbox.DeliverAsync(Message("two", 2000));
        await alice.Inbox.ExpungeAsync([first.Uid]);

        // As Dovecot writes it: the sum of the empty Maildir before the first delivery, then the changes.
        Assert.Equal($"10240S\n0 0\n{first.PhysicalSize} 1\n{second.PhysicalSize} 1\n-{first.PhysicalSize} -1\n", File.ReadAllText(MaildirSize));
        var usage = await alice.GetQuotaAsync();
        Assert.Equal(new MailQuotaUsage(second.PhysicalSize, 1, 10240), usage);
    }

    [Fact]
    public async Task A_delivery_that_would_go_over_the_limit_is_refused_and_leaves_no_file_and_no_uid()
    {
        var alice = Open(3000);
        var kept = await alice.Inbox.DeliverAsync(Message("fits", 2000));
        var before = File.ReadAllText(MaildirSize);

        var refused = await Assert.ThrowsAsync<MailQuotaExceededException>(() => alice.Inbox.DeliverAsync(Message("too big", 1500)));

        Assert.False(refused.IsTransient);
        var snapshot = await alice.Inbox.ListMessagesAsync();
        Assert.Equal([kept.Uid], snapshot.Messages.Select(m => m.Uid));
        Assert.Equal(kept.Uid + 1, snapshot.UidNext);
        Assert.Empty(Directory.GetFiles(Path.Combine(_work, "alice", "Maildir", "tmp")));
        Assert.Equal(before, File.ReadAllText(MaildirSize));
        // A smaller one still fits: the limit is used + size <= limit, as Dovecot's quota_test_alloc.
        // Stored with LF line ends: the 4 lines lose a CR each.
        var room = 3000 - kept.PhysicalSize;
        await alice.Inbox.DeliverAsync(Message("fits exactly", (int)(room - (Message("fits exactly", 0).Length - 4))));
        Assert.Equal(3000, (await alice.GetQuotaAsync()).Bytes);
        Assert.True((await alice.GetQuotaAsync()).IsFull);
    }

    [Fact]
    public async Task A_maildirsize_of_5120_bytes_or_more_is_summed_anew_from_every_folder()
    {
        var alice = Open(null);
        var inbox = await alice.Inbox.DeliverAsync(Message("inbox", 100));
        var archive = await alice.CreateFolderAsync("Archive");
        var archived = await archive.DeliverAsync(Message("archived", 200));
        // Lines that would add up to nonsense, and more of them than Dovecot reads.
        File.AppendAllText(MaildirSize, string.Concat(Enumerable.Repeat("1000000 1\n", 600)));

        var usage = await alice.GetQuotaAsync();

        Assert.Equal(new MailQuotaUsage(inbox.PhysicalSize + archived.PhysicalSize, 2, null), usage);
        Assert.Equal($"0S\n{inbox.PhysicalSize + archived.PhysicalSize} 2\n", File.ReadAllText(MaildirSize));
    }

    [Fact]
    public async Task A_changed_limit_writes_the_file_anew_with_the_new_limit_line()
    {
        var stored = await Open(10240).Inbox.DeliverAsync(Message("one", 500));
        Assert.StartsWith("10240S\n", File.ReadAllText(MaildirSize));

        var usage = await Open(20480).GetQuotaAsync();

        Assert.Equal(new MailQuotaUsage(stored.PhysicalSize, 1, 20480), usage);
        Assert.Equal($"20480S\n{stored.PhysicalSize} 1\n", File.ReadAllText(MaildirSize));
    }

    [Fact]
    public async Task An_over_quota_sum_is_not_trusted_from_a_file_with_more_than_its_summary_line()
    {
        var alice = Open(10240);
        var stored = await alice.Inbox.DeliverAsync(Message("one", 500));
        // Someone appended a change that never happened: the sum says over the limit, so the folders are counted again.
        File.AppendAllText(MaildirSize, "50000 1\n");

        Assert.Equal(new MailQuotaUsage(stored.PhysicalSize, 1, 10240), await alice.GetQuotaAsync());
    }

    [Fact]
    public async Task Deleting_a_folder_takes_its_messages_off_the_usage()
    {
        var alice = Open(10240);
        var kept = await alice.Inbox.DeliverAsync(Message("kept", 300));
        var archive = await alice.CreateFolderAsync("Archive");
        await archive.DeliverAsync(Message("gone", 700));
        await archive.DeliverAsync(Message("gone too", 800));

        await alice.DeleteFolderAsync("Archive");

        Assert.Equal(new MailQuotaUsage(kept.PhysicalSize, 1, 10240), await alice.GetQuotaAsync());
    }

    [Fact]
    public async Task Dovecot_reports_the_usage_our_store_counted_and_we_count_what_Dovecots_LDA_delivered()
    {
        var alice = Open(10240);
        var first = await alice.Inbox.DeliverAsync(Message("one", 1000));
        var archive = await alice.CreateFolderAsync("Archive");
        await archive.DeliverAsync(Message("two", 2000));
        await alice.Inbox.ExpungeAsync([first.Uid]);
        var ours = await alice.GetQuotaAsync();
        var lines = File.ReadAllLines(MaildirSize);

        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + Path.Combine(_work, "alice", "Maildir"), "userdb_quota_rule=*:storage=10K")],
            extraConfig: QuotaPluginConfig);
        Assert.Equal((Kib(ours.Bytes), ours.Messages), DoveadmQuota(dovecot));
        // Dovecot trusted our file: it read it without writing it anew.
        Assert.Equal(lines, File.ReadAllLines(MaildirSize));

        dovecot.DeliverWithDovecotLda("alice", Encoding.ASCII.GetBytes("From: b@example.org\nSubject: three\n\n" + new string('y', 3000) + "\n"));
        var after = await alice.GetQuotaAsync();
        Assert.Equal(ours.Messages + 1, after.Messages);
        Assert.Equal(ours.Bytes + new FileInfo(Directory.GetFiles(Path.Combine(_work, "alice", "Maildir", "new")).Single()).Length, after.Bytes);
        Assert.Equal((Kib(after.Bytes), after.Messages), DoveadmQuota(dovecot));
        Assert.Empty(dovecot.LogProblems());
    }

    /// <summary>Debian's quota plugins with one Maildir++ root named as Dovecot's documentation names it.</summary>
    internal const string QuotaPluginConfig = """
        mail_plugins = $mail_plugins quota
        protocol imap {
          mail_plugins = $mail_plugins imap_quota
        }
        plugin {
          quota = maildir:User quota
        }
        """;

    private static long Kib(long bytes) => (bytes + 1023) / 1024;

    // "User quota STORAGE <KiB> <limit> <%>" and "User quota MESSAGE <count> - 0".
    private static (long StorageKib, long Messages) DoveadmQuota(DovecotServer dovecot)
    {
        var rows = dovecot.Doveadm("quota", "get", "-u", "alice").Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var storage = rows.Single(r => r.Length > 3 && r[2] == "STORAGE");
        var messages = rows.Single(r => r.Length > 3 && r[2] == "MESSAGE");
        return (long.Parse(storage[3]), long.Parse(messages[3]));
    }
}
