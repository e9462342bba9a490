using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Imap;

/// <summary>
/// The proof that a user can switch between our IMAP and Debian's Dovecot on the same Maildir without downloading
/// anything again: the same UIDVALIDITY and UIDs, flags and keywords, sizes, dates, envelopes and body structures,
/// whichever server delivered, flagged or expunged last.
/// </summary>
public sealed class ImapDovecotCompatibilityTests : IAsyncLifetime
{
    private const string Multipart = "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\nTo: alice@example.test, Team: bob@example.org, carol@example.org;\n" +
        "Subject: Report\nDate: Mon, 16 Nov 2026 09:30:00 +0000\nMessage-ID: <report@example.org>\nIn-Reply-To: <q@example.org>\nMIME-Version: 1.0\n" +
        "Content-Type: multipart/mixed; boundary=\"XYZ\"\n\n--XYZ\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nGr=C3=BC=C3=9Fe\n" +
        "--XYZ\nContent-Type: application/octet-stream; name=\"data.bin\"\nContent-Disposition: attachment; filename=\"data.bin\"\nContent-Transfer-Encoding: base64\n\nAAECAw==\n" +
        "--XYZ\nContent-Type: message/rfc822\n\nFrom: inner@example.org\nSubject: inner\n\ninner body\n--XYZ--\n";

    private ImapTestHost _host = null!;
    private DovecotServer _dovecot = null!;

    public Task InitializeAsync()
    {
        _host = ImapTestHost.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _dovecot?.Dispose();
        await _host.DisposeAsync();
    }

    private void StartDovecot() =>
        _dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + _host.Store.PathFor("alice"))]);

    private static async Task<ImapClient> LoginAsync(int port)
    {
        var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", "secret");
        return client;
    }

    /// <summary>What a client caches of a folder: UIDVALIDITY and, per UID, flags, keywords, size, date, envelope and structure.</summary>
    private static async Task<List<string>> ViewAsync(int port, string folder)
    {
        using var client = await LoginAsync(port);
        var mailbox = await client.GetFolderAsync(folder);
        await mailbox.OpenAsync(FolderAccess.ReadOnly);
        var view = new List<string> { $"UIDVALIDITY {mailbox.UidValidity} UIDNEXT {mailbox.UidNext?.Id}" };
        if (mailbox.Count > 0)
        {
            foreach (var m in await mailbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Size |
                         MessageSummaryItems.InternalDate | MessageSummaryItems.Envelope | MessageSummaryItems.BodyStructure))
            {
                using var bytes = await mailbox.GetStreamAsync(m.UniqueId, "");
                var copy = new MemoryStream();
                await bytes.CopyToAsync(copy);
                view.Add($"UID {m.UniqueId.Id} FLAGS {m.Flags & ~MessageFlags.Recent} KEYWORDS {string.Join(',', m.Keywords.Order(StringComparer.Ordinal))} " +
                    $"SIZE {m.Size} BYTES {copy.Length}/{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(copy.ToArray()))[..16]} " +
                    $"DATE {m.InternalDate!.Value.ToUnixTimeSeconds()} ENVELOPE {m.Envelope} BODY {m.Body}");
            }
        }
        await client.DisconnectAsync(true);
        return view;
    }

    [Fact]
    public async Task Mail_delivered_flagged_and_expunged_by_MailOps_looks_the_same_in_Dovecot_IMAP()
    {
        await _host.DeliverAsync("alice", "From: a@example.org\nSubject: one\nDate: Sun, 15 Nov 2026 08:00:00 +0100\n\nfirst\n");
        await _host.DeliverAsync("alice", Multipart);
        await _host.DeliverAsync("alice", "From: c@example.org\nSubject: three\n\nthird\n");
        using (var ours = await LoginAsync(_host.Port))
        {
            var inbox = ours.Inbox;
            await inbox.OpenAsync(FolderAccess.ReadWrite);
            var uids = await inbox.SearchAsync(SearchQuery.All);
            await inbox.AddFlagsAsync(uids[0], MessageFlags.Seen | MessageFlags.Flagged, new HashSet<string> { "$Work" }, silent: true);
            await inbox.AddFlagsAsync(uids[1], MessageFlags.Answered, new HashSet<string> { "Project", "$Label1" }, silent: true);
            await inbox.AddFlagsAsync(uids[2], MessageFlags.Deleted, silent: true);
            await inbox.ExpungeAsync();
            var archive = (await ours.GetFolder(ours.PersonalNamespaces[0]).CreateAsync("Archive", isMessageFolder: true))!;
            await inbox.CopyToAsync([uids[1]], archive);
            await archive.AppendAsync(new AppendRequest(MimeKit.MimeMessage.Load(new MemoryStream("Subject: appended\r\n\r\nx\r\n"u8.ToArray())),
                MessageFlags.Draft, new DateTimeOffset(2021, 5, 6, 7, 8, 9, TimeSpan.Zero)) { Keywords = new HashSet<string> { "$Filed" } });
            await ours.DisconnectAsync(true);
        }
        StartDovecot();
        foreach (var folder in new[] { "INBOX", "Archive" })
        {
            var theirs = await ViewAsync(_dovecot.ImapPort, folder);
            var mine = await ViewAsync(_host.Port, folder);
            Assert.Equal(theirs, mine);
        }
        var inboxView = await ViewAsync(_dovecot.ImapPort, "INBOX");
        Assert.Equal(3, inboxView.Count);
        Assert.Contains("FLAGS Seen, Flagged KEYWORDS $Work ", inboxView[1]);
        Assert.Contains("FLAGS Answered KEYWORDS $Label1,Project ", inboxView[2]);
        Assert.Empty(_dovecot.LogProblems());
    }

    [Fact]
    public async Task Mail_delivered_and_flagged_by_Dovecot_looks_the_same_in_our_IMAP_and_our_changes_show_in_Dovecot()
    {
        await _host.DeliverAsync("alice", "Subject: ours first\n\nhello\n");
        StartDovecot();
        _dovecot.DeliverWithDovecotLda("alice", Encoding.UTF8.GetBytes(Multipart.Replace("\n", "\r\n")));
        _dovecot.DeliverWithDovecotLda("alice", "Subject: lda two\r\n\r\nbody\r\n"u8.ToArray());
        using (var theirs = await LoginAsync(_dovecot.ImapPort))
        {
            await theirs.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await theirs.Inbox.AddFlagsAsync(1, MessageFlags.Flagged, new HashSet<string> { "Dovecot", "$Junk" }, silent: true);
            await theirs.Inbox.AddFlagsAsync(0, MessageFlags.Deleted, silent: true);
            await theirs.Inbox.ExpungeAsync();
            await theirs.DisconnectAsync(true);
        }
        var dovecotView = await ViewAsync(_dovecot.ImapPort, "INBOX");
        Assert.Equal(dovecotView, await ViewAsync(_host.Port, "INBOX"));
        Assert.Contains("KEYWORDS $Junk,Dovecot", dovecotView[1]);

        // Back the other way: our flag change and our expunge, seen by Dovecot; a client switching keeps every UID.
        using (var ours = await LoginAsync(_host.Port))
        {
            await ours.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await ours.Inbox.RemoveFlagsAsync(0, MessageFlags.None, new HashSet<string> { "Dovecot" }, silent: true);
            await ours.Inbox.AddFlagsAsync(1, MessageFlags.Deleted | MessageFlags.Seen, silent: true);
            await ours.Inbox.ExpungeAsync();
            await ours.DisconnectAsync(true);
        }
        var after = await ViewAsync(_dovecot.ImapPort, "INBOX");
        Assert.Equal(after, await ViewAsync(_host.Port, "INBOX"));
        Assert.Equal(2, after.Count);
        Assert.Contains("UID 2 FLAGS Flagged KEYWORDS $Junk ", after[1]);
        Assert.Empty(_dovecot.LogProblems());
    }
}
