using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MailOps.Engine.Platform;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.TestSupport;
using MimeKit;

namespace MailOps.Engine.Tests.Store;

/// <summary>
/// The proof that our Maildir is Dovecot's: messages our store delivers are served by a real Dovecot 2.3 over IMAP
/// with our UIDs, our sizes and our bytes, and both can write to the same Maildir at once.
/// </summary>
public sealed class DovecotCoexistenceTests : IDisposable
{
    private readonly string _work = DovecotServer.NewWorkDirectory("mailops-coexist");
    private readonly MaildirStore _store;

    public DovecotCoexistenceTests()
    {
        _store = new MaildirStore(Path.Combine(_work, "%n", "Maildir"), new MaildirOptions { Owner = DovecotServer.MailOwner });
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    // SMTP hands the store CRLF data; these are what a client must get back byte for byte.
    private static readonly byte[][] InboxMessages =
    [
        Crlf("From: a@example.org\nTo: alice@example.com\nSubject: plain\nMessage-ID: <1@example.org>\n\nHello Alice.\n"),
        Bytes(Crlf("From: b@example.org\nTo: alice@example.com\nSubject: 8bit\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße aus Köln, 東京 — ¡olé!\n"),
            [0xE9, 0xFF, 0x80, (byte)'\r', (byte)'\n']),
        Crlf("From: c@example.org\nTo: alice@example.com\nSubject: long lines\n\n" + new string('x', 10_000) + "\n" + string.Concat(Enumerable.Repeat("word ", 3000)) + "\n.\n..leading dots\n"),
        Crlf("From: d@example.org\nTo: alice@example.com\nSubject: big\n\n" + string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n"))),
    ];

    private static readonly byte[][] ArchiveMessages =
    [
        Crlf("From: e@example.org\nSubject: archived one\n\nOld news.\n"),
        Crlf("From: f@example.org\nSubject: archived two\n\nOlder news.\n\n\n"),
    ];

    [Fact]
    public async Task Dovecot_serves_what_the_store_delivered_with_the_same_uids_sizes_and_bytes_and_both_write_side_by_side()
    {
        var alice = _store.Open("alice");
        var inboxDelivered = new List<StoredMessage>();
        foreach (var message in InboxMessages) inboxDelivered.Add(await alice.Inbox.DeliverAsync(new MemoryStream(message)));
        var archive = await alice.CreateFolderAsync("Archive");
        var archiveDelivered = new List<StoredMessage>();
        foreach (var message in ArchiveMessages) archiveDelivered.Add(await archive.DeliverAsync(new MemoryStream(message)));
        var year = await alice.CreateFolderAsync("Archive.2026");
        await year.DeliverAsync(new MemoryStream(ArchiveMessages[0]));
        var root = _store.PathFor("alice");
        var inboxUidList = UidList.Read(root)!;
        var archiveUidList = UidList.Read(Path.Combine(root, ".Archive"))!;

        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + root)]);
        using var imap = new ImapClient();
        await imap.ConnectAsync("127.0.0.1", dovecot.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync("alice", "secret");

        // INBOX and Archive hold exactly what we delivered, in order, with our UIDs, W= sizes and bytes.
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await AssertServes(imap.Inbox, inboxUidList, inboxDelivered, InboxMessages);
        var imapArchive = await imap.GetFolderAsync("Archive");
        await imapArchive.OpenAsync(FolderAccess.ReadOnly);
        await AssertServes(imapArchive, archiveUidList, archiveDelivered, ArchiveMessages);
        await imapArchive.CloseAsync();

        // Folders and subscriptions as we wrote them.
        var personal = imap.PersonalNamespaces[0];
        Assert.Equal('.', personal.DirectorySeparator);
        var folders = (await imap.GetFoldersAsync(personal, StatusItems.None, false)).Select(f => f.FullName).Order().ToList();
        Assert.Equal(["Archive", "Archive.2026", "INBOX"], folders);
        var subscribed = (await imap.GetFoldersAsync(personal, StatusItems.None, true)).Select(f => f.FullName).Order().ToList();
        Assert.Equal(["Archive", "Archive.2026"], subscribed);

        // While Dovecot has INBOX open (and has moved our files to cur/), our next delivery gets the next UID...
        var inbox = imap.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "new")));
        var late = Crlf("From: g@example.org\nSubject: while Dovecot runs\n\nStill here.\n");
        var lateStored = await alice.Inbox.DeliverAsync(new MemoryStream(late));
        Assert.Equal(inboxDelivered[^1].Uid + 1, lateStored.Uid);
        await imap.NoOpAsync();
        Assert.Equal(InboxMessages.Length + 1, inbox.Count);
        var lateSummary = (await inbox.FetchAsync([new UniqueId(lateStored.Uid)], new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Size))).Single();
        Assert.Equal(lateStored.Size, (long)lateSummary.Size!.Value);
        Assert.Equal(late, await Fetch(inbox, lateStored.Uid));

        // ...and Dovecot's own append takes the one after, which our store then sees and numbers past.
        var appended = MimeMessage.Load(new MemoryStream(Crlf("From: h@example.org\nSubject: appended by Dovecot\n\nVia IMAP.\n")));
        var appendedUid = await inbox.AppendAsync(new AppendRequest(appended));
        Assert.Equal(lateStored.Uid + 1, appendedUid!.Value.Id);
        var ours = await alice.Inbox.ListMessagesAsync();
        Assert.Equal(inboxDelivered.Select(m => m.Uid).Append(lateStored.Uid).Append(appendedUid.Value.Id), ours.Messages.Select(m => m.Uid));
        var appendedByUs = ours.Messages[^1];
        Assert.Equal(await Fetch(inbox, appendedUid.Value.Id), ReadAll(alice.Inbox.OpenMessage(appendedByUs.Uid)!));
        var last = await alice.Inbox.DeliverAsync(new MemoryStream(late));
        Assert.Equal(appendedUid.Value.Id + 1, last.Uid);
        await imap.NoOpAsync();
        Assert.Equal(late, await Fetch(inbox, last.Uid));

        await imap.DisconnectAsync(true);
        Assert.Empty(dovecot.LogProblems());
    }

    [Fact]
    public async Task The_store_writes_the_same_file_Dovecot_s_own_LDA_writes()
    {
        var ours = _store.Open("alice");
        var theirsRoot = Path.Combine(_work, "bob", "Maildir");
        // Dovecot's LDA runs as the mail owner and makes bob's Maildir itself.
        Directory.CreateDirectory(Path.GetDirectoryName(theirsRoot)!);
        Posix.Chown(Path.GetDirectoryName(theirsRoot)!, DovecotServer.MailOwner.Uid, DovecotServer.MailOwner.Gid);
        using var dovecot = DovecotServer.Start([new DovecotUser("bob", "secret", "maildir:" + theirsRoot)]);

        foreach (var message in InboxMessages)
        {
            var stored = await ours.Inbox.DeliverAsync(new MemoryStream(message));
            dovecot.DeliverWithDovecotLda("bob", message);
            var theirs = new DirectoryInfo(Path.Combine(theirsRoot, "new")).GetFiles().OrderBy(f => f.Name, Comparer<string>.Create(MaildirFileName.SortCompare)).Last();

            Assert.Equal(File.ReadAllBytes(theirs.FullName), File.ReadAllBytes(stored.Path));
            // Same S= and W=, computed independently.
            Assert.Equal(SizeFields(theirs.Name), SizeFields(Path.GetFileName(stored.Path)));
        }
        var theirList = File.ReadAllLines(Path.Combine(theirsRoot, "dovecot-uidlist"));
        var ourList = File.ReadAllLines(Path.Combine(_store.PathFor("alice"), "dovecot-uidlist"));
        Assert.Equal(theirList.Length, ourList.Length);
        Assert.All(theirList.Skip(1).Zip(ourList.Skip(1)), pair => Assert.Equal(Shape(pair.First), Shape(pair.Second)));
        Assert.Empty(dovecot.LogProblems());
    }

    [Fact]
    public async Task The_store_and_Dovecot_s_LDA_delivering_at_once_to_one_INBOX_agree_on_every_uid()
    {
        var alice = _store.Open("alice");
        await alice.Inbox.DeliverAsync(new MemoryStream(Crlf("Subject: first\n\nmakes the Maildir\n")));
        var root = _store.PathFor("alice");
        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + root)]);

        var theirs = Task.Run(() =>
        {
            for (var i = 0; i < 15; i++) dovecot.DeliverWithDovecotLda("alice", Crlf($"Message-ID: <lda{i}@example.org>\nSubject: lda {i}\n\nfrom Dovecot\n"));
        });
        // Ours are spread over the time the LDA runs take, so that the two really interleave.
        var ours = Enumerable.Range(0, 15).Select(async i =>
        {
            await Task.Delay(i * 100);
            return await alice.Inbox.DeliverAsync(new MemoryStream(Crlf($"Message-ID: <store{i}@example.org>\nSubject: store {i}\n\nfrom us\n")));
        }).ToList();
        await Task.WhenAll(ours.Append(theirs));

        // Dovecot's LDA gives up the uidlist lock when we hold it and leaves its file for the next sync to number:
        // our listing and Dovecot's IMAP must then number every file the same way.
        var listed = await alice.Inbox.ListMessagesAsync();
        Assert.Equal(31, listed.Messages.Count);
        Assert.Equal(listed.Messages.Count, listed.Messages.Select(m => m.Uid).Distinct().Count());
        using var imap = new ImapClient();
        await imap.ConnectAsync("127.0.0.1", dovecot.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync("alice", "secret");
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var summaries = await imap.Inbox.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.Envelope));
        Assert.Equal(listed.Messages.Select(m => m.Uid), summaries.Select(s => s.UniqueId.Id));
        foreach (var (summary, message) in summaries.Zip(listed.Messages))
        {
            Assert.Equal(message.Size, (long)summary.Size!.Value);
            using var stream = alice.Inbox.OpenMessage(message.Uid)!;
            Assert.Contains("Subject: " + summary.Envelope!.Subject + "\r\n", Encoding.UTF8.GetString(ReadAll(stream)));
        }
        // The UID each of our deliveries returned is the one Dovecot serves it under.
        for (var i = 0; i < ours.Count; i++)
            Assert.Equal((await ours[i]).Uid, summaries.Single(s => s.Envelope!.Subject == $"store {i}").UniqueId.Id);
        await imap.DisconnectAsync(true);
        Assert.Empty(dovecot.LogProblems());
    }

    private static async Task AssertServes(MailKit.IMailFolder folder, UidList uidList, IReadOnlyList<StoredMessage> delivered, byte[][] expected)
    {
        Assert.Equal(uidList.UidValidity, folder.UidValidity);
        var summaries = await folder.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Size));
        Assert.Equal(delivered.Select(m => m.Uid), summaries.Select(s => s.UniqueId.Id));
        Assert.Equal(uidList.Records.Select(r => r.Uid), summaries.Select(s => s.UniqueId.Id));
        for (var i = 0; i < delivered.Count; i++)
        {
            var w = MaildirFileName.TryGetSize(Path.GetFileName(delivered[i].Path), 'W', out var size) ? size : -1;
            Assert.Equal(w, (long)summaries[i].Size!.Value);
            Assert.Equal(expected[i].Length, (long)summaries[i].Size!.Value);
            Assert.Equal(expected[i], await Fetch(folder, delivered[i].Uid));
        }
    }

    private static async Task<byte[]> Fetch(MailKit.IMailFolder folder, uint uid)
    {
        using var stream = await folder.GetStreamAsync(new UniqueId(uid));
        return ReadAll(stream);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    private static string SizeFields(string fileName) => fileName[fileName.IndexOf(",S=", StringComparison.Ordinal)..];

    // "<uid> :<secs>.M<usecs>P<pid>.<host>,S=..,W=.." without the parts that differ between two deliveries.
    private static string Shape(string line) =>
        System.Text.RegularExpressions.Regex.Replace(line, @":\d+\.M\d+P\d+\.[^,]+", ":NAME");

    private static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n"));

    private static byte[] Bytes(byte[] head, byte[] tail) => [.. head, .. tail];
}
