using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MailOps.Engine.Platform;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Store;

public sealed class MaildirTests : IDisposable
{
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _work = DovecotServer.NewWorkDirectory("mailops-maildir");

    private string Root => Path.Combine(_work, "alice", "Maildir");

    private static MemoryStream Message(string subject, string body = "Hello.\r\n") =>
        new(Encoding.UTF8.GetBytes($"From: sender@example.org\r\nTo: alice@example.com\r\nSubject: {subject}\r\n\r\n{body}"));

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task The_first_delivery_creates_the_Maildir_with_private_modes_and_a_Dovecot_named_file()
    {
        var maildir = new Maildir(Root, new MaildirOptions { HostName = "mx1:test/host" });
        Assert.False(Directory.Exists(Root));

        var stored = await maildir.Inbox.DeliverAsync(Message("first"));

        foreach (var dir in new[] { Root, Path.Combine(Root, "cur"), Path.Combine(Root, "new"), Path.Combine(Root, "tmp") })
            Assert.Equal(Mode0700, File.GetUnixFileMode(dir));
        var file = Assert.Single(Directory.GetFiles(Path.Combine(Root, "new")));
        Assert.Equal(Mode0600, File.GetUnixFileMode(file));
        var name = Path.GetFileName(file);
        var bytes = File.ReadAllBytes(file);
        Assert.Matches(@"^\d+\.M\d+P" + Environment.ProcessId + @"\.mx1\\072test\\057host,S=" + bytes.Length + ",W=" + stored.Size + "$", name);
        Assert.DoesNotContain((byte)'\r', bytes);
        Assert.Equal(bytes.Length + bytes.Count(b => b == '\n'), stored.Size);
        Assert.Empty(Directory.GetFiles(Path.Combine(Root, "tmp")));
        Assert.Equal(1u, stored.Uid);
        Assert.Equal(file, stored.Path);
    }

    [Fact]
    public async Task Each_delivery_appends_the_next_uid_to_a_version_3_uidlist()
    {
        var maildir = new Maildir(Root);
        var first = await maildir.Inbox.DeliverAsync(Message("one"));
        var second = await maildir.Inbox.DeliverAsync(Message("two"));

        var lines = File.ReadAllLines(Path.Combine(Root, "dovecot-uidlist"));
        // The first delivery writes the list whole (N2); the second appends its line and leaves the header, as Dovecot does.
        Assert.Matches(@"^3 V\d+ N2 G[0-9a-f]{32}$", lines[0]);
        Assert.Equal($"1 :{Path.GetFileName(first.Path)}", lines[1]);
        Assert.Equal($"2 :{Path.GetFileName(second.Path)}", lines[2]);
        Assert.Equal(3, lines.Length);
        Assert.Equal(Mode0600, File.GetUnixFileMode(Path.Combine(Root, "dovecot-uidlist")));
        Assert.False(File.Exists(Path.Combine(Root, "dovecot-uidlist.lock")));
        // The UIDVALIDITY comes from Dovecot's counter at the root.
        var validity = uint.Parse(lines[0].Split(' ')[1][1..]);
        Assert.Equal(validity.ToString("x8"), File.ReadAllText(Path.Combine(Root, "dovecot-uidvalidity")));
        Assert.True(File.Exists(Path.Combine(Root, "dovecot-uidvalidity." + validity.ToString("x8"))));
        Assert.Equal(3u, (await maildir.Inbox.ListMessagesAsync()).UidNext);
    }

    [Fact]
    public async Task Messages_list_with_uid_size_and_flags_and_open_as_crlf()
    {
        var maildir = new Maildir(Root);
        var input = "Subject: x\r\n\r\nline 1\r\nline 2\r\n";
        await maildir.Inbox.DeliverAsync(new MemoryStream(Encoding.ASCII.GetBytes(input)));
        var seen = await maildir.Inbox.DeliverAsync(Message("seen"), MessageFlags.Seen | MessageFlags.Answered,
            new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero));

        Assert.StartsWith(Path.Combine(Root, "cur") + "/", seen.Path);
        Assert.EndsWith(":2,RS", seen.Path);
        var snapshot = await maildir.Inbox.ListMessagesAsync();
        Assert.Equal(3u, snapshot.UidNext);
        Assert.Equal([1u, 2u], snapshot.Messages.Select(m => m.Uid));
        Assert.Equal(input.Length, snapshot.Messages[0].Size);
        Assert.Equal(input.Length - 4, snapshot.Messages[0].PhysicalSize);
        Assert.Equal(MessageFlags.None, snapshot.Messages[0].Flags);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Answered, snapshot.Messages[1].Flags);
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), snapshot.Messages[1].ReceivedDate);

        using var stream = maildir.Inbox.OpenMessage(1)!;
        var served = new MemoryStream();
        await stream.CopyToAsync(served);
        Assert.Equal(input, Encoding.ASCII.GetString(served.ToArray()));
        Assert.Null(maildir.Inbox.OpenMessage(99));
    }

    [Fact]
    public async Task A_delivery_from_the_queue_lands_in_new_without_a_uid_and_is_numbered_in_delivery_order_when_listed()
    {
        var maildir = new Maildir(Root);
        await maildir.Inbox.DeliverAsync(Message("appended")); // IMAP APPEND's path: numbered at once
        for (var i = 0; i < 3; i++) await maildir.Inbox.DeliverNewAsync(Message("queued " + i));

        var files = Directory.GetFiles(Path.Combine(Root, "new"));
        Assert.Equal(4, files.Length);
        Assert.All(files, f => Assert.Matches(@",S=\d+,W=\d+$", Path.GetFileName(f)));
        Assert.All(files, f => Assert.Equal(Mode0600, File.GetUnixFileMode(f)));
        Assert.Empty(Directory.GetFiles(Path.Combine(Root, "tmp")));
        // Only the appended message is in the uidlist: the queue's deliveries wait for a reader, as Postfix's do.
        Assert.Equal(2, File.ReadAllLines(Path.Combine(Root, "dovecot-uidlist")).Length);

        var snapshot = await maildir.Inbox.ListMessagesAsync();

        Assert.Equal([1u, 2u, 3u, 4u], snapshot.Messages.Select(m => m.Uid));
        var subjects = new List<string>();
        foreach (var m in snapshot.Messages)
        {
            using var reader = new StreamReader(maildir.Inbox.OpenMessage(m.Uid)!);
            subjects.Add((await reader.ReadToEndAsync()).Split("\r\n").Single(l => l.StartsWith("Subject: ", StringComparison.Ordinal))[9..]);
        }
        Assert.Equal(["appended", "queued 0", "queued 1", "queued 2"], subjects);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(Root, "dovecot-uidlist")).Length);
        Assert.False(File.Exists(Path.Combine(Root, "dovecot-uidlist.lock")));
    }

    [Fact]
    public async Task A_message_opened_from_an_old_snapshot_is_found_after_its_file_was_renamed_for_flags_and_not_after_expunge()
    {
        var maildir = new Maildir(Root);
        await maildir.Inbox.DeliverNewAsync(Message("renamed"));
        var seen = (await maildir.Inbox.ListMessagesAsync()).Messages.Single();
        await maildir.Inbox.SetFlagsAsync(seen.Uid, MessageFlags.Seen | MessageFlags.Flagged);
        Assert.False(File.Exists(seen.Path)); // moved from new/ to cur/ with :2,FS

        using (var reader = new StreamReader(maildir.Inbox.OpenMessage(seen)!))
            Assert.Contains("Subject: renamed\r\n", await reader.ReadToEndAsync());
        await maildir.Inbox.ExpungeAsync([seen.Uid]);
        Assert.Null(maildir.Inbox.OpenMessage(seen));
    }

    [Fact]
    public async Task A_message_another_program_put_in_new_gets_the_next_uid_when_listed()
    {
        var maildir = new Maildir(Root);
        await maildir.Inbox.DeliverAsync(Message("ours"));
        File.WriteAllText(Path.Combine(Root, "new", "1500000000.M1P1.other"), "Subject: theirs\n\nbody\n");

        var snapshot = await maildir.Inbox.ListMessagesAsync();

        Assert.Equal([1u, 2u], snapshot.Messages.Select(m => m.Uid));
        Assert.Equal("Subject: theirs\r\n\r\nbody\r\n".Length, snapshot.Messages[1].Size);
        Assert.Equal(3u, (await maildir.Inbox.DeliverAsync(Message("next"))).Uid);
    }

    [Fact]
    public async Task Folders_are_Maildir_plus_plus_dot_directories_and_are_subscribed()
    {
        var maildir = new Maildir(Root);
        await maildir.CreateFolderAsync("Archive");
        await maildir.CreateFolderAsync("Archive.2026");
        await maildir.CreateFolderAsync("Entwürfe & Co", subscribe: false);
        await maildir.GetFolder("Archive.2026").DeliverAsync(Message("archived"));

        var dir = Path.Combine(Root, ".Archive.2026");
        foreach (var sub in new[] { dir, Path.Combine(dir, "cur"), Path.Combine(dir, "new"), Path.Combine(dir, "tmp") })
            Assert.Equal(Mode0700, File.GetUnixFileMode(sub));
        Assert.Equal(0, new FileInfo(Path.Combine(dir, "maildirfolder")).Length);
        Assert.Single(Directory.GetFiles(Path.Combine(dir, "new")));
        Assert.True(Directory.Exists(Path.Combine(Root, ".Entw&APw-rfe &- Co")));
        Assert.Equal(["INBOX", "Archive", "Archive.2026", "Entwürfe & Co"], maildir.ListFolders());
        Assert.Equal("V\t2\n\nArchive\nArchive\t2026\n", File.ReadAllText(Path.Combine(Root, "subscriptions")));
        Assert.Equal(["Archive", "Archive.2026"], maildir.ListSubscriptions());

        await maildir.UnsubscribeAsync("Archive");
        Assert.Equal(["Archive.2026"], maildir.ListSubscriptions());
        await Assert.ThrowsAsync<MailFolderExistsException>(() => maildir.CreateFolderAsync("Archive"));
        Assert.Throws<MailFolderNotFoundException>(() => maildir.GetFolder("Nope"));
        await Assert.ThrowsAsync<ArgumentException>(() => maildir.CreateFolderAsync("a..b"));
        await Assert.ThrowsAsync<ArgumentException>(() => maildir.CreateFolderAsync("../escape"));
    }

    [Fact]
    public async Task Parallel_deliveries_get_distinct_consecutive_uids()
    {
        var maildir = new Maildir(Root);
        var stored = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => maildir.Inbox.DeliverAsync(Message("m" + i)))));

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (uint)i), stored.Select(s => s.Uid).Order());
        var snapshot = await new Maildir(Root).Inbox.ListMessagesAsync();
        Assert.Equal(20, snapshot.Messages.Count);
        Assert.Equal(21u, snapshot.UidNext);
    }

    [Fact]
    public async Task A_delivery_stopped_between_tmp_and_new_leaves_no_message_in_new_nor_in_the_uidlist()
    {
        await new Maildir(Root).Inbox.DeliverAsync(Message("before"));
        var uidlistBefore = File.ReadAllText(Path.Combine(Root, "dovecot-uidlist"));
        var reached = new TaskCompletionSource<string>();
        var crash = new TaskCompletionSource();
        var maildir = new Maildir(Root, new MaildirOptions
        {
            BeforeMoveToNew = async (tmp, ct) =>
            {
                reached.SetResult(tmp);
                await crash.Task;
                throw new IOException("the process died here");
            },
        });

        var delivery = maildir.Inbox.DeliverAsync(Message("interrupted", "a long body\r\n" + new string('x', 100_000) + "\r\n"));
        var tmp = await reached.Task;

        // At the moment of the crash: the whole message is in tmp/, fsynced, and nothing else has changed.
        Assert.Equal(Path.Combine(Root, "tmp"), Path.GetDirectoryName(tmp));
        Assert.True(new FileInfo(tmp).Length > 100_000);
        Assert.Single(Directory.GetFiles(Path.Combine(Root, "new")));
        var seenByAnother = await new Maildir(Root).Inbox.ListMessagesAsync();
        Assert.Equal([1u], seenByAnother.Messages.Select(m => m.Uid));
        Assert.Equal(uidlistBefore, File.ReadAllText(Path.Combine(Root, "dovecot-uidlist")));

        crash.SetResult();
        var e = await Assert.ThrowsAsync<MailStoreException>(() => delivery);
        Assert.True(e.IsTransient);
        Assert.Empty(Directory.GetFiles(Path.Combine(Root, "tmp")));
        Assert.Single(Directory.GetFiles(Path.Combine(Root, "new")));
        Assert.Equal(uidlistBefore, File.ReadAllText(Path.Combine(Root, "dovecot-uidlist")));
        Assert.Equal(2u, (await new Maildir(Root).Inbox.DeliverAsync(Message("after"))).Uid);
    }

    [Fact]
    public async Task A_message_cut_off_mid_stream_never_becomes_visible()
    {
        var maildir = new Maildir(Root);
        var e = await Assert.ThrowsAsync<MailStoreException>(() => maildir.Inbox.DeliverAsync(new FailingStream(Encoding.ASCII.GetBytes("Subject: half\r\n\r\nfirst half"))));
        Assert.True(e.IsTransient);
        Assert.Empty(Directory.GetFiles(Path.Combine(Root, "new")));
        Assert.Empty(Directory.GetFiles(Path.Combine(Root, "tmp")));
        Assert.Empty((await maildir.Inbox.ListMessagesAsync()).Messages);
    }

    [Fact]
    public async Task A_leftover_file_in_tmp_from_a_crash_is_never_listed()
    {
        var maildir = new Maildir(Root);
        await maildir.Inbox.DeliverAsync(Message("real"));
        File.WriteAllText(Path.Combine(Root, "tmp", "1500000000.M1P99999.host"), "Subject: half a mess");

        var snapshot = await maildir.Inbox.ListMessagesAsync();

        Assert.Single(snapshot.Messages);
        Assert.Equal(2u, (await maildir.Inbox.DeliverAsync(Message("next"))).Uid);
    }

    [Fact]
    public async Task A_uidlist_lock_left_by_a_dead_process_is_overridden_at_once()
    {
        var maildir = new Maildir(Root);
        await maildir.Inbox.DeliverAsync(Message("first"));
        var lockPath = Path.Combine(Root, "dovecot-uidlist.lock");
        File.WriteAllText(lockPath, $"{DeadPid()}:{maildir.Options.HostName}");
        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow.AddSeconds(-10));

        var clock = Stopwatch.StartNew();
        var stored = await maildir.Inbox.DeliverAsync(Message("second"));

        Assert.Equal(2u, stored.Uid);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.False(File.Exists(lockPath));
    }

    [Fact]
    public async Task A_uidlist_lock_without_a_live_pid_is_stale_once_unchanged_for_the_stale_timeout()
    {
        // Dovecot's stale timeout for dovecot-uidlist is 2 minutes; the same rule is tested here with 2 seconds.
        var maildir = new Maildir(Root, new MaildirOptions { UidListLockTimeouts = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)) });
        await maildir.Inbox.DeliverAsync(Message("first"));
        var lockPath = Path.Combine(Root, "dovecot-uidlist.lock");
        File.WriteAllText(lockPath, "4242:some-other-host");

        var clock = Stopwatch.StartNew();
        Assert.Equal(2u, (await maildir.Inbox.DeliverAsync(Message("second"))).Uid);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        Assert.False(File.Exists(lockPath));
    }

    [Fact]
    public void Dovecot_s_uidlist_lock_timeouts_are_two_minutes_stale_and_two_seconds_more_wait()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), new MaildirOptions().UidListLockTimeouts.Stale);
        Assert.Equal(TimeSpan.FromSeconds(122), new MaildirOptions().UidListLockTimeouts.Wait);
    }

    [Fact]
    public async Task A_uidlist_lock_held_by_a_live_process_is_waited_for_not_overridden()
    {
        var maildir = new Maildir(Root);
        await maildir.Inbox.DeliverAsync(Message("first"));
        var lockPath = Path.Combine(Root, "dovecot-uidlist.lock");
        // pid 1 is alive; the lock is old, but a live holder is never overridden.
        File.WriteAllText(lockPath, $"1:{maildir.Options.HostName}");
        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow.AddMinutes(-5));

        var delivery = maildir.Inbox.DeliverAsync(Message("second"));
        await Task.Delay(1500);
        Assert.False(delivery.IsCompleted);
        Assert.Equal($"1:{maildir.Options.HostName}", File.ReadAllText(lockPath));
        Assert.Single(Directory.GetFiles(Path.Combine(Root, "new")));

        File.Delete(lockPath);
        Assert.Equal(2u, (await delivery.WaitAsync(TimeSpan.FromSeconds(10))).Uid);
    }

    [Fact]
    public async Task A_delivery_waiting_for_a_young_lock_can_be_cancelled_and_leaves_nothing()
    {
        var maildir = new Maildir(Root);
        await maildir.Inbox.DeliverAsync(Message("first"));
        File.WriteAllText(Path.Combine(Root, "dovecot-uidlist.lock"), "");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => maildir.Inbox.DeliverAsync(Message("second"), cancellationToken: cancel.Token));

        Assert.Single(Directory.GetFiles(Path.Combine(Root, "new")));
        Assert.Empty(Directory.GetFiles(Path.Combine(Root, "tmp")));
    }

    [Fact]
    public async Task Every_file_and_directory_is_given_to_the_Maildir_owner()
    {
        // As root this is the system user "mail", else our own account.
        var owner = DovecotServer.MailOwner;
        var maildir = new Maildir(Root, new MaildirOptions { Owner = owner });
        await maildir.Inbox.DeliverAsync(Message("owned"));
        await maildir.CreateFolderAsync("Sent");

        foreach (var path in Directory.GetFileSystemEntries(Path.Combine(_work, "alice"), "*", SearchOption.AllDirectories).Append(Path.Combine(_work, "alice")))
        {
            var stat = Posix.Stat(path)!.Value;
            Assert.True(stat.Uid == owner.Uid && stat.Gid == owner.Gid, $"{path} is owned by {stat.Uid}:{stat.Gid}");
        }
    }

    [Fact]
    public void A_store_finds_each_users_Maildir_from_Dovecot_variables_and_refuses_names_that_escape()
    {
        var store = new MaildirStore(Path.Combine(_work, "%d", "%n", "Maildir"));
        Assert.Equal(Path.Combine(_work, "example.com", "alice", "Maildir"), store.PathFor("alice@example.com"));
        Assert.Equal(Path.Combine(_work, "100%", "x"), new MaildirStore(Path.Combine(_work, "100%%", "%u")).PathFor("x"));
        foreach (var bad in new[] { "../root@example.com", "..@example.com", "alice@..", "a/b@example.com", "", "@example.com" })
            Assert.Throws<ArgumentException>(() => store.PathFor(bad));
        Assert.Throws<ArgumentException>(() => new MaildirStore("/var/vmail/%h"));
        Assert.Throws<ArgumentException>(() => new MaildirStore("relative/%u"));
    }

    private static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }

    private sealed class FailingStream(byte[] start) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= start.Length) throw new IOException("connection reset by peer");
            var n = Math.Min(count, start.Length - _position);
            Array.Copy(start, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
