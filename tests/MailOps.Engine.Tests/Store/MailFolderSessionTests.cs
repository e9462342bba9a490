using System.Text;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Store;

/// <summary>What IMAP and POP3 sessions need of a folder beyond delivery: flags, expunge, a session lock and change notices.</summary>
public sealed class MailFolderSessionTests : IDisposable
{
    private readonly string _work = DovecotServer.NewWorkDirectory("mailops-folder");
    private readonly MaildirStore _store;

    public MailFolderSessionTests() => _store = new MaildirStore(Path.Combine(_work, "%n", "Maildir"));

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static MemoryStream Message(string subject) => new(Encoding.UTF8.GetBytes($"Subject: {subject}\r\n\r\nHello.\r\n"));

    [Fact]
    public async Task Flags_and_keywords_rename_the_file_into_cur_with_sorted_letters_and_name_keywords_in_dovecot_keywords()
    {
        var inbox = _store.Open("alice").Inbox;
        var stored = await inbox.DeliverAsync(Message("one"));
        Assert.Contains("/new/", stored.Path);
        var changed = await inbox.SetFlagsAsync(stored.Uid, MessageFlags.Seen | MessageFlags.Flagged, ["work", "$Forwarded"]);
        Assert.NotNull(changed);
        Assert.EndsWith(":2,FSab", changed.Path);
        Assert.Contains("/cur/", changed.Path);
        Assert.False(File.Exists(stored.Path));
        Assert.Equal("0 work\n1 $Forwarded\n", File.ReadAllText(Path.Combine(_store.PathFor("alice"), "dovecot-keywords")));
        var listed = Assert.Single((await inbox.ListMessagesAsync()).Messages);
        Assert.Equal((MessageFlags.Seen | MessageFlags.Flagged, stored.Uid), (listed.Flags, listed.Uid));
        Assert.Equal(["$Forwarded", "work"], listed.Keywords.Order(StringComparer.Ordinal));

        // Null keywords keep them; an empty list clears them; the UID never changes.
        changed = await inbox.SetFlagsAsync(stored.Uid, MessageFlags.Deleted);
        Assert.EndsWith(":2,Tab", changed!.Path);
        changed = await inbox.SetFlagsAsync(stored.Uid, MessageFlags.None, []);
        Assert.EndsWith(":2,", changed!.Path);
        Assert.Null(await inbox.SetFlagsAsync(stored.Uid + 1, MessageFlags.Seen));
    }

    [Fact]
    public async Task Expunge_deletes_the_files_and_rewrites_the_uidlist_without_them_keeping_the_next_uid()
    {
        var inbox = _store.Open("alice").Inbox;
        var messages = new List<StoredMessage>();
        for (var i = 0; i < 3; i++) messages.Add(await inbox.DeliverAsync(Message($"m{i}")));
        var removed = await inbox.ExpungeAsync([messages[0].Uid, messages[2].Uid, 999]);
        Assert.Equal([messages[0].Uid, messages[2].Uid], removed);
        Assert.False(File.Exists(messages[0].Path));
        var uidlist = File.ReadAllLines(Path.Combine(_store.PathFor("alice"), "dovecot-uidlist"));
        Assert.Matches($@"^3 V\d+ N{messages[2].Uid + 1} G[0-9a-f]{{32}}$", uidlist[0]);
        Assert.Equal([$"{messages[1].Uid} :{Path.GetFileName(messages[1].Path)}"], uidlist[1..]);
        Assert.Empty(await inbox.ExpungeAsync([messages[0].Uid]));
        Assert.Equal(messages[2].Uid + 1, (await inbox.DeliverAsync(Message("next"))).Uid);
    }

    [Fact]
    public async Task One_session_at_a_time_may_lock_a_folder_and_the_lock_goes_with_dispose()
    {
        var first = _store.Open("alice").Inbox.TryLockSession();
        Assert.NotNull(first);
        // Another store object over the same directory sees the same lock; another user's folder is free.
        Assert.Null(new MaildirStore(_store.Location).Open("alice").Inbox.TryLockSession());
        using (var bob = _store.Open("bob").Inbox.TryLockSession()) Assert.NotNull(bob);
        first.Dispose();
        using var again = _store.Open("alice").Inbox.TryLockSession();
        Assert.NotNull(again);
        // Delivery does not wait for a session's lock.
        await _store.Open("alice").Inbox.DeliverAsync(Message("while locked"));
    }

    [Fact]
    public async Task Watchers_hear_of_deliveries_flag_changes_and_expunges_made_by_other_sessions()
    {
        var inbox = _store.Open("alice").Inbox;
        var heard = new List<MailFolderChange>();
        using (_store.Open("alice").Inbox.Watch(change => { lock (heard) heard.Add(change); }))
        {
            var stored = await inbox.DeliverAsync(Message("one"));
            await inbox.SetFlagsAsync(stored.Uid, MessageFlags.Seen);
            await inbox.ExpungeAsync([stored.Uid]);
            Assert.Equal(
                [new(MailFolderChangeKind.Appended, [stored.Uid]), new(MailFolderChangeKind.FlagsChanged, [stored.Uid]), new MailFolderChange(MailFolderChangeKind.Expunged, [stored.Uid])],
                heard.Select(h => h with { Uids = h.Uids.ToArray() }).ToList(), new ChangeComparer());
        }
        await inbox.DeliverAsync(Message("after"));
        Assert.Equal(3, heard.Count);
    }

    private sealed class ChangeComparer : IEqualityComparer<MailFolderChange>
    {
        public bool Equals(MailFolderChange? x, MailFolderChange? y) => x!.Kind == y!.Kind && x.Uids.SequenceEqual(y.Uids);
        public int GetHashCode(MailFolderChange obj) => obj.Kind.GetHashCode();
    }
}
