using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using MailOps.Engine.Store;
using MessageFlags = MailOps.Engine.Store.MessageFlags;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Pop3;

/// <summary>
/// The proof that a user can switch between our POP3 and Debian's Dovecot on the same Maildir without downloading
/// anything again: the same UIDL lists, the same UIDs and bytes, whoever delivered or expunged last, and flags and
/// keywords read the same on both sides.
/// </summary>
public sealed class Pop3DovecotCompatibilityTests : IAsyncLifetime
{
    private Pop3TestHost _host = null!;
    private DovecotServer _dovecot = null!;

    public Task InitializeAsync()
    {
        _host = Pop3TestHost.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _dovecot?.Dispose();
        await _host.DisposeAsync();
    }

    private void StartDovecot() =>
        _dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + _host.Store.PathFor("alice"))], pop3: true);

    private static async Task<(List<string> Uidls, List<byte[]> Messages)> ReadAllAsync(int port, params int[] delete)
    {
        using var pop = new Pop3Client();
        await pop.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
        await pop.AuthenticateAsync("alice", "secret");
        var uidls = (await pop.GetMessageUidsAsync()).ToList();
        var messages = new List<byte[]>();
        for (var i = 0; i < pop.Count; i++)
        {
            using var stream = await pop.GetStreamAsync(i);
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            messages.Add(copy.ToArray());
        }
        foreach (var index in delete) await pop.DeleteMessageAsync(index);
        await pop.DisconnectAsync(quit: true);
        return (uidls, messages);
    }

    private async Task<List<uint>> DovecotImapUidsAsync()
    {
        using var imap = new ImapClient();
        await imap.ConnectAsync("127.0.0.1", _dovecot.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync("alice", "secret");
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var uids = (await imap.Inbox.SearchAsync(MailKit.Search.SearchQuery.All)).Select(u => u.Id).ToList();
        await imap.DisconnectAsync(true);
        return uids;
    }

    private static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n"));

    [Fact]
    public async Task Our_POP3_and_Dovecot_s_give_the_same_UIDL_list_and_bytes_whoever_delivered_or_expunged_last()
    {
        for (var i = 0; i < 3; i++) await _host.DeliverAsync("alice", $"Message-ID: <ours{i}@example.org>\nSubject: ours {i}\n\nDelivered by MailOps.\n.dotted\n");
        StartDovecot();

        // Delivered by us: both servers list the same UIDLs and serve the same bytes.
        var ours = await ReadAllAsync(_host.Port);
        var theirs = await ReadAllAsync(_dovecot.Pop3Port);
        Assert.Equal(3, ours.Uidls.Count);
        Assert.Equal(theirs.Uidls, ours.Uidls);
        Assert.Equal(theirs.Messages, ours.Messages);

        // Dovecot delivers two and expunges the first over its POP3: our store reads its uidlist right.
        _dovecot.DeliverWithDovecotLda("alice", Crlf("Message-ID: <lda1@example.org>\nSubject: by Dovecot\n\nfrom dovecot-lda\n"));
        _dovecot.DeliverWithDovecotLda("alice", Crlf("Message-ID: <lda2@example.org>\nSubject: by Dovecot too\n\nfrom dovecot-lda\n"));
        await ReadAllAsync(_dovecot.Pop3Port, delete: 0);
        theirs = await ReadAllAsync(_dovecot.Pop3Port);
        ours = await ReadAllAsync(_host.Port);
        Assert.Equal(4, ours.Uidls.Count);
        Assert.Equal(theirs.Uidls, ours.Uidls);
        Assert.Equal(theirs.Messages, ours.Messages);
        Assert.Equal(await DovecotImapUidsAsync(), (await _host.Store.Open("alice").Inbox.ListMessagesAsync()).Messages.Select(m => m.Uid));

        // The reverse: our POP3 expunges the second and our store delivers one more; Dovecot agrees on every UID.
        await ReadAllAsync(_host.Port, delete: 1);
        var last = await _host.DeliverAsync("alice", "Message-ID: <ours9@example.org>\nSubject: after\n\nlast\n");
        theirs = await ReadAllAsync(_dovecot.Pop3Port);
        ours = await ReadAllAsync(_host.Port);
        Assert.Equal(4, ours.Uidls.Count);
        Assert.Equal(theirs.Uidls, ours.Uidls);
        Assert.Equal(theirs.Messages, ours.Messages);
        var dovecotUids = await DovecotImapUidsAsync();
        Assert.Equal(dovecotUids, (await _host.Store.Open("alice").Inbox.ListMessagesAsync()).Messages.Select(m => m.Uid));
        Assert.Equal(last.Uid, dovecotUids[^1]);
        Assert.Empty(_dovecot.LogProblems());
    }

    [Fact]
    public async Task Flags_and_keywords_set_on_either_side_read_the_same_on_the_other()
    {
        var first = await _host.DeliverAsync("alice", "Subject: one\n\n1\n");
        var second = await _host.DeliverAsync("alice", "Subject: two\n\n2\n");
        var third = await _host.DeliverAsync("alice", "Subject: three\n\n3\n");
        var inbox = _host.Store.Open("alice").Inbox;
        await inbox.SetFlagsAsync(first.Uid, MessageFlags.Flagged | MessageFlags.Answered, ["Project", "$Label1"]);
        // As IMAP APPEND stores a draft with a keyword.
        var draft = await inbox.DeliverAsync(new MemoryStream(Crlf("Subject: draft\n\nunfinished\n")), MessageFlags.Draft, null, ["$Label1", "Draft-Keyword"]);
        // RETR over our POP3 makes the third \Seen.
        await using (var pop = await RawPop3Client.LoginAsync(_host.Port))
        {
            await pop.MultiLineAsync("RETR 3");
            Assert.StartsWith("+OK", await pop.CommandAsync("QUIT"));
        }
        StartDovecot();

        using var imap = new ImapClient();
        await imap.ConnectAsync("127.0.0.1", _dovecot.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync("alice", "secret");
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var summaries = await imap.Inbox.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags));
        var byUid = summaries.ToDictionary(s => s.UniqueId.Id);
        Assert.Equal(MailKit.MessageFlags.Flagged | MailKit.MessageFlags.Answered, byUid[first.Uid].Flags!.Value & ~MailKit.MessageFlags.Recent);
        Assert.Equal(["$Label1", "Project"], byUid[first.Uid].Keywords.Order(StringComparer.Ordinal));
        Assert.Equal(MailKit.MessageFlags.Seen, byUid[third.Uid].Flags!.Value & ~MailKit.MessageFlags.Recent);
        Assert.Equal(MailKit.MessageFlags.Draft, byUid[draft.Uid].Flags!.Value & ~MailKit.MessageFlags.Recent);
        Assert.Equal(["$Label1", "Draft-Keyword"], byUid[draft.Uid].Keywords.Order(StringComparer.Ordinal));
        Assert.Equal(["$Label1", "Draft-Keyword"], draft.Keywords.Order(StringComparer.Ordinal));

        // Dovecot flags the second with \Deleted and a keyword of its own; our listing reads both.
        await imap.Inbox.AddFlagsAsync(new UniqueId(second.Uid), MailKit.MessageFlags.Deleted, new HashSet<string> { "Urgent" }, silent: true);
        await imap.DisconnectAsync(true);
        var listed = (await inbox.ListMessagesAsync()).Messages.Single(m => m.Uid == second.Uid);
        Assert.Equal(MessageFlags.Deleted, listed.Flags);
        Assert.Equal(["Urgent"], listed.Keywords);
        Assert.Equal(["$Label1", "Project"], (await inbox.ListMessagesAsync()).Messages.Single(m => m.Uid == first.Uid).Keywords.Order(StringComparer.Ordinal));
        Assert.Empty(_dovecot.LogProblems());
    }

    [Fact]
    public async Task A_UIDL_saved_in_the_uidlist_by_a_migration_is_given_by_both_servers()
    {
        await _host.DeliverAsync("alice", "Subject: migrated one\n\n1\n");
        var second = await _host.DeliverAsync("alice", "Subject: migrated two\n\n2\n");
        await _host.DeliverAsync("alice", "Subject: new here\n\n3\n");
        // As a migration leaves it: a P field with the old server's UIDL, and an empty one (the base file name).
        var uidlist = Path.Combine(_host.Store.PathFor("alice"), "dovecot-uidlist");
        var lines = File.ReadAllLines(uidlist);
        lines[1] = lines[1].Replace(" :", " Pold-uidl-0001 :");
        lines[2] = lines[2].Replace(" :", " P :");
        File.WriteAllText(uidlist, string.Join("\n", lines) + "\n");
        StartDovecot();

        var ours = await ReadAllAsync(_host.Port);
        var theirs = await ReadAllAsync(_dovecot.Pop3Port);
        Assert.Equal(theirs.Uidls, ours.Uidls);
        Assert.Equal("old-uidl-0001", ours.Uidls[0]);
        Assert.Equal(Path.GetFileName(second.Path), ours.Uidls[1]);
        Assert.Empty(_dovecot.LogProblems());
    }
}
