using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace MailOps.Engine.Tests.Imap;

/// <summary>
/// MailKit's ImapClient against our IMAP server, across every advertised extension: what a mail program does to read,
/// file, flag, search and delete mail.
/// </summary>
public sealed class ImapMailKitTests : IAsyncLifetime
{
    private const string Plain = "From: Bob Example <bob@example.org>\nTo: Alice <alice@example.test>, carol@example.test\nCc: Dave <dave@example.net>\n" +
        "Subject: Lunch on Friday\nDate: Fri, 13 Nov 2026 10:00:00 +0100\nMessage-ID: <lunch@example.org>\n\nShall we meet at noon?\nBob\n";

    private const string WithAttachment = "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\nTo: alice@example.test\nSubject: Invoice 42\n" +
        "Date: Mon, 16 Nov 2026 09:30:00 +0000\nMessage-ID: <invoice@example.org>\nMIME-Version: 1.0\n" +
        "Content-Type: multipart/mixed; boundary=\"XYZ\"\n\nPreamble.\n--XYZ\nContent-Type: text/plain; charset=utf-8\n\nPlease find the invoice attached.\n" +
        "--XYZ\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\n" +
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IK\n--XYZ--\n";

    private ImapTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = ImapTestHost.Start();
        await _host.DeliverAsync("alice", Plain);
        await _host.DeliverAsync("alice", WithAttachment);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<ImapClient> LoginAsync()
    {
        var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", _host.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", "secret");
        return client;
    }

    [Fact]
    public async Task The_server_advertises_its_extensions_and_a_new_user_has_the_special_use_folders()
    {
        using var client = await LoginAsync();
        var expected = ImapCapabilities.IMAP4rev1 | ImapCapabilities.Idle | ImapCapabilities.Namespace | ImapCapabilities.UidPlus | ImapCapabilities.Move |
            ImapCapabilities.Unselect | ImapCapabilities.Children | ImapCapabilities.SpecialUse | ImapCapabilities.LiteralPlus | ImapCapabilities.SaslIR |
            ImapCapabilities.Id | ImapCapabilities.Enable | ImapCapabilities.ListExtended | ImapCapabilities.ListStatus | ImapCapabilities.ESearch;
        Assert.Equal(expected, client.Capabilities & expected);
        Assert.Equal("MailOps", client.Identify(new ImapImplementation { Name = "test" }).Name);
        Assert.Equal('.', client.PersonalNamespaces.Single().DirectorySeparator);
        Assert.Equal("Sent", client.GetFolder(SpecialFolder.Sent)!.FullName);
        Assert.Equal("Drafts", client.GetFolder(SpecialFolder.Drafts)!.FullName);
        Assert.Equal("Junk", client.GetFolder(SpecialFolder.Junk)!.FullName);
        Assert.Equal("Trash", client.GetFolder(SpecialFolder.Trash)!.FullName);
        var root = client.GetFolder(client.PersonalNamespaces[0]);
        var names = (await root.GetSubfoldersAsync()).Select(f => f.FullName).Order().ToList();
        Assert.Equal(["Drafts", "INBOX", "Junk", "Sent", "Trash"], names);
        Assert.Equal(["Drafts", "Junk", "Sent", "Trash"], (await root.GetSubfoldersAsync(subscribedOnly: true)).Select(f => f.FullName).Order());
        // LIST-STATUS: the counts come with the list.
        var withStatus = await root.GetSubfoldersAsync(StatusItems.Count | StatusItems.Unread | StatusItems.UidNext, subscribedOnly: false);
        var inbox = withStatus.Single(f => f.FullName == "INBOX");
        Assert.Equal((2, 2, 3u), (inbox.Count, inbox.Unread, inbox.UidNext!.Value.Id));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Envelope_bodystructure_sections_and_partial_fetches_come_from_the_stored_bytes()
    {
        using var client = await LoginAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(2, inbox.Count);
        Assert.Equal(2, inbox.Recent);
        var snapshot = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        Assert.Equal(snapshot.UidValidity, inbox.UidValidity);
        Assert.Equal(snapshot.UidNext, inbox.UidNext!.Value.Id);

        var items = await inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.BodyStructure | MessageSummaryItems.Flags |
            MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.InternalDate);
        var lunch = items[0];
        Assert.Equal("Lunch on Friday", lunch.Envelope!.Subject);
        Assert.Equal("bob@example.org", lunch.Envelope!.From.Mailboxes.Single().Address);
        Assert.Equal("Bob Example", lunch.Envelope!.From.Mailboxes.Single().Name);
        Assert.Equal(["alice@example.test", "carol@example.test"], lunch.Envelope!.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("dave@example.net", lunch.Envelope!.Cc.Mailboxes.Single().Address);
        Assert.Equal("bob@example.org", lunch.Envelope!.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal("lunch@example.org", lunch.Envelope!.MessageId);
        Assert.Equal(snapshot.Messages[0].Size, (long)lunch.Size!.Value);
        Assert.Equal(snapshot.Messages[0].Uid, lunch.UniqueId.Id);
        Assert.Equal(snapshot.Messages[0].ReceivedDate.ToUnixTimeSeconds(), lunch.InternalDate!.Value.ToUnixTimeSeconds());
        Assert.Equal("text/plain", lunch.TextBody!.ContentType.MimeType);

        var invoice = items[1];
        Assert.Equal("Jürgen", invoice.Envelope!.From.Mailboxes.Single().Name);
        var attachment = invoice.Attachments.Cast<BodyPartBasic>().Single();
        Assert.Equal("invoice.pdf", attachment.FileName);
        Assert.Equal("2", attachment.PartSpecifier);
        Assert.Equal("base64", attachment.ContentTransferEncoding);
        var text = (TextPart)await inbox.GetBodyPartAsync(invoice.UniqueId, invoice.TextBody!);
        Assert.Equal("Please find the invoice attached.", text.Text.Trim());
        var pdf = (MimePart)await inbox.GetBodyPartAsync(invoice.UniqueId, attachment);
        var decoded = new MemoryStream();
        await pdf.Content!.DecodeToAsync(decoded);
        Assert.StartsWith("%PDF-1.4", System.Text.Encoding.ASCII.GetString(decoded.ToArray()));

        // BODY[]<0.7> and BODY[TEXT]; whole message bytes equal the store's.
        using (var partial = await inbox.GetStreamAsync(lunch.UniqueId, 0, 7))
            Assert.Equal("From: B", new StreamReader(partial).ReadToEnd());
        using (var body = await inbox.GetStreamAsync(lunch.UniqueId, "TEXT"))
            Assert.Equal("Shall we meet at noon?\r\nBob\r\n", new StreamReader(body).ReadToEnd());
        var headers = await inbox.GetHeadersAsync(invoice.UniqueId);
        Assert.Equal("Invoice 42", headers[HeaderId.Subject]);
        var whole = await inbox.GetMessageAsync(lunch.UniqueId);
        Assert.Equal("Lunch on Friday", whole.Subject);

        // EXAMINE is read-only: fetching bodies did not set \Seen.
        var flags = await inbox.FetchAsync(0, -1, MessageSummaryItems.Flags);
        Assert.All(flags, f => Assert.False(f.Flags!.Value.HasFlag(MessageFlags.Seen)));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Search_finds_by_header_body_flag_date_size_and_uid_and_combinations()
    {
        using var client = await LoginAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await inbox.SearchAsync(SearchQuery.All);
        Assert.Equal(2, uids.Count);
        var (lunch, invoice) = (uids[0], uids[1]);
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.SubjectContains("invoice")));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.FromContains("bob@example")));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.FromContains("Jürgen")));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.ToContains("carol")));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.CcContains("dave")));
        Assert.Empty(await inbox.SearchAsync(SearchQuery.BccContains("dave")));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.BodyContains("NOON")));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.MessageContains("invoice attached")));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.HeaderContains("Message-ID", "invoice@")));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.SentOn(new DateTime(2026, 11, 13))));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.SentBefore(new DateTime(2026, 11, 14))));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.SentSince(new DateTime(2026, 11, 14))));
        Assert.Equal(2, (await inbox.SearchAsync(SearchQuery.DeliveredAfter(DateTime.Today.AddDays(-2)))).Count);
        Assert.Empty(await inbox.SearchAsync(SearchQuery.DeliveredBefore(DateTime.Today.AddDays(-2))));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.LargerThan(400)));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.SmallerThan(400)));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.Uids([invoice])));
        Assert.Equal(2, (await inbox.SearchAsync(SearchQuery.Recent.And(SearchQuery.New))).Count);
        // ESEARCH: MIN, MAX, COUNT and ALL in one answer.
        var results = await inbox.SearchAsync(SearchOptions.All | SearchOptions.Count | SearchOptions.Min | SearchOptions.Max, SearchQuery.All);
        Assert.Equal((2, lunch, invoice), (results.Count, results.Min!.Value, results.Max!.Value));
        Assert.Equal([lunch, invoice], results.UniqueIds);

        await inbox.AddFlagsAsync(lunch, MessageFlags.Flagged | MessageFlags.Answered, silent: true);
        await inbox.StoreAsync(invoice, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Draft) { Keywords = { "$Invoice" }, Silent = true });
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.Flagged));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.NotFlagged));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.Answered));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.Draft));
        Assert.Equal([invoice], await inbox.SearchAsync(SearchQuery.HasKeyword("$Invoice")));
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.NotKeyword("$Invoice")));
        Assert.Equal(2, (await inbox.SearchAsync(SearchQuery.Flagged.Or(SearchQuery.HasKeyword("$Invoice")))).Count);
        Assert.Equal([lunch], await inbox.SearchAsync(SearchQuery.Not(SearchQuery.Draft).And(SearchQuery.NotSeen)));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Flags_keywords_copy_move_append_expunge_and_folders_work_with_UIDPLUS()
    {
        using var client = await LoginAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await inbox.SearchAsync(SearchQuery.All);

        await inbox.AddFlagsAsync(uids[0], MessageFlags.Seen, silent: true);
        var seen = await inbox.FetchAsync([uids[0]], MessageSummaryItems.Flags);
        Assert.True(seen[0].Flags!.Value.HasFlag(MessageFlags.Seen));
        await inbox.AddFlagsAsync(uids[0], MessageFlags.None, new HashSet<string> { "$Work" }, silent: false);
        var stored = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        Assert.Equal(["$Work"], stored.Messages[0].Keywords);
        Assert.Equal(Engine.Store.MessageFlags.Seen, stored.Messages[0].Flags);

        var archive = (await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Archive", isMessageFolder: true))!;
        var copied = await inbox.CopyToAsync(uids, archive);
        Assert.Equal(uids, copied.Source);
        Assert.Equal(2, copied.Destination.Count);
        var trash = client.GetFolder(SpecialFolder.Trash)!;
        var moved = await inbox.MoveToAsync(uids[1], trash);
        Assert.NotNull(moved);
        Assert.Equal(1, inbox.Count);

        var appended = await archive.AppendAsync(new AppendRequest(MimeMessage.Load(new MemoryStream("Subject: appended\r\n\r\nbody\r\n"u8.ToArray())),
            MessageFlags.Seen | MessageFlags.Flagged, new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero)) { Keywords = new HashSet<string> { "$Filed" } });
        Assert.Equal(3u, appended!.Value.Id);
        await archive.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(3, archive.Count);
        var summary = (await archive.FetchAsync([appended.Value], MessageSummaryItems.Flags | MessageSummaryItems.InternalDate))[0];
        Assert.Equal(new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero), summary.InternalDate!.Value.ToUniversalTime());
        Assert.Contains("$Filed", summary.Keywords);
        Assert.True(summary.Flags!.Value.HasFlag(MessageFlags.Flagged));

        // UID EXPUNGE removes only the \Deleted messages named.
        var all = await archive.SearchAsync(SearchQuery.All);
        await archive.AddFlagsAsync(all, MessageFlags.Deleted, silent: true);
        await archive.ExpungeAsync([all[0]]);
        Assert.Equal(2, archive.Count);
        await archive.ExpungeAsync();
        Assert.Equal(0, archive.Count);
        await archive.CloseAsync();

        await archive.RenameAsync(archive.ParentFolder!, "Old");
        var root = client.GetFolder(client.PersonalNamespaces[0]);
        Assert.Contains("Old", (await root.GetSubfoldersAsync()).Select(f => f.Name));
        var old = await root.GetSubfolderAsync("Old");
        var child = await old.CreateAsync("2026", isMessageFolder: true);
        Assert.Equal("Old.2026", child!.FullName);
        await old.StatusAsync(StatusItems.Count | StatusItems.UidNext | StatusItems.UidValidity | StatusItems.Unread);
        Assert.Equal(0, old.Count);
        Assert.Equal(4u, old.UidNext!.Value.Id);
        await child.SubscribeAsync();
        await child.UnsubscribeAsync();
        await child.DeleteAsync();
        await old.DeleteAsync();
        Assert.DoesNotContain("Old", (await root.GetSubfoldersAsync()).Select(f => f.Name));
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Two_sessions_on_one_mailbox_see_each_other_s_flag_changes_expunges_and_new_mail_and_IDLE_hears_a_delivery()
    {
        using var first = await LoginAsync();
        using var second = await LoginAsync();
        await first.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await second.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var flagged = new List<int>();
        var expunged = new List<int>();
        second.Inbox.MessageFlagsChanged += (_, e) => flagged.Add(e.Index);
        second.Inbox.MessageExpunged += (_, e) => expunged.Add(e.Index);

        await first.Inbox.AddFlagsAsync(1, MessageFlags.Flagged, silent: true);
        await second.NoOpAsync();
        Assert.Equal([1], flagged);

        await first.Inbox.AddFlagsAsync(0, MessageFlags.Deleted, silent: true);
        await first.Inbox.ExpungeAsync();
        await second.NoOpAsync();
        Assert.Equal([0], expunged);
        Assert.Equal(1, second.Inbox.Count);

        // IDLE: a delivery wakes the idling client with EXISTS.
        await IdleUntilCountChangesAsync(second, () => _host.DeliverAsync("alice", "Subject: while idle\n\nhello\n"));
        Assert.Equal(2, second.Inbox.Count);
        await first.DisconnectAsync(true);
        await second.DisconnectAsync(true);
    }

    [Fact]
    public async Task Another_session_s_changes_are_told_after_any_command_and_in_IDLE_as_they_were_stored()
    {
        using var first = await LoginAsync();
        using var second = await LoginAsync();
        await first.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await second.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var count = second.Inbox.Count;
        var flagged = new List<int>();
        var expunged = new List<int>();
        second.Inbox.MessageFlagsChanged += (_, e) => flagged.Add(e.Index);
        second.Inbox.MessageExpunged += (_, e) => expunged.Add(e.Index);

        // Told at the end of a UID SEARCH (RFC 3501 7.4.1 allows every update after a UID command), not only after NOOP.
        await first.Inbox.AddFlagsAsync(1, MessageFlags.Flagged, silent: true);
        await second.Inbox.SearchAsync(SearchQuery.All);
        Assert.Equal([1], flagged);

        // An APPEND by the first session wakes the second in IDLE; the message is there as stored, flags, keyword and all.
        var message = new MimeMessage { Subject = "appended elsewhere" };
        message.From.Add(MailboxAddress.Parse("bob@example.test"));
        message.Body = new TextPart("plain") { Text = "hello" };
        UniqueId? uid = null;
        await IdleUntilCountChangesAsync(second, async () =>
            uid = await first.Inbox.AppendAsync(new AppendRequest(message, MessageFlags.Seen) { Keywords = new HashSet<string> { "$label1" } }));
        Assert.Equal(count + 1, second.Inbox.Count);
        var seen = (await second.Inbox.FetchAsync(count, count, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Size))[0];
        var stored = (await first.Inbox.FetchAsync([uid!.Value], MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Size))[0];
        Assert.Equal((uid.Value, MessageFlags.Seen, stored.Size), (seen.UniqueId, seen.Flags!.Value & ~MessageFlags.Recent, seen.Size));
        Assert.Contains("$label1", seen.Keywords);
        Assert.Equal("appended elsewhere", (await second.Inbox.GetMessageAsync(count)).Subject);

        // Its expunge is told at the end of the second session's next UID FETCH.
        await first.Inbox.AddFlagsAsync(uid.Value, MessageFlags.Deleted, silent: true);
        await first.Inbox.ExpungeAsync();
        await second.Inbox.FetchAsync([new UniqueId(1)], MessageSummaryItems.Flags);
        Assert.Equal([count], expunged);
        Assert.Equal(count, second.Inbox.Count);
        await first.DisconnectAsync(true);
        await second.DisconnectAsync(true);
    }

    // Puts the client in IDLE, does what should wake it, and waits until the server told it a new message count.
    private static async Task IdleUntilCountChangesAsync(ImapClient client, Func<Task> trigger)
    {
        using var done = new CancellationTokenSource();
        var arrived = new TaskCompletionSource();
        void Changed(object? sender, EventArgs e)
        {
            arrived.TrySetResult();
            done.Cancel();
        }
        client.Inbox.CountChanged += Changed;
        try
        {
            var idle = client.IdleAsync(done.Token);
            await Task.Delay(200);
            await trigger();
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await idle;
        }
        finally
        {
            client.Inbox.CountChanged -= Changed;
        }
    }
}
