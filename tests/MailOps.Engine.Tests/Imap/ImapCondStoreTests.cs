using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MailOps.Engine.Platform;
using MailOps.Engine.Tests.TestSupport;
using ModSeqFile = MailOps.Engine.Store.ModSeqFile;

namespace MailOps.Engine.Tests.Imap;

/// <summary>
/// CONDSTORE and QRESYNC (RFC 7162) against our IMAP server: MailKit's ImapClient, which uses both fully, and raw protocol
/// for the exact wire text. The mod-sequences live in the folder's mailops-modseq file, which must survive a restart and
/// follow flag changes made behind our back (as Dovecot makes them, by renaming the Maildir file).
/// </summary>
public sealed class ImapCondStoreTests : IAsyncLifetime
{
    private const string Message = "From: bob@example.org\nTo: alice@example.test\nSubject: note {0}\n\nbody {0}\n";

    private string _mailRoot = null!;
    private ImapTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var directory = DovecotServer.NewWorkDirectory("mailops-condstore");
        Posix.Chown(directory, DovecotServer.MailOwner.Uid, DovecotServer.MailOwner.Gid);
        _mailRoot = Path.Combine(directory, "%n", "Maildir");
        _host = ImapTestHost.Start(mailRoot: _mailRoot);
        for (var i = 1; i <= 4; i++) await _host.DeliverAsync("alice", string.Format(Message, i));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        try { Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(_mailRoot))!, recursive: true); } catch (IOException) { }
    }

    private async Task<ImapClient> LoginAsync(ImapTestHost? host = null)
    {
        var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", (host ?? _host).Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", "secret");
        return client;
    }

    private async Task<RawImapClient> RawLoginAsync()
    {
        var imap = await RawImapClient.ConnectAsync(_host.Port);
        await imap.CommandAsync("LOGIN alice secret");
        return imap;
    }

    private static async Task<Dictionary<uint, ulong>> ModSeqsAsync(IMailFolder folder)
    {
        var summaries = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.ModSeq);
        return summaries.ToDictionary(s => s.UniqueId.Id, s => s.ModSeq!.Value);
    }

    /// <summary>What a QRESYNC client keeps of INBOX after a session: its UIDVALIDITY and HIGHESTMODSEQ.</summary>
    private async Task<(uint Validity, ulong Highest)> QuickResyncStateAsync()
    {
        using var client = await LoginAsync();
        await client.EnableQuickResyncAsync();
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var state = (client.Inbox.UidValidity, client.Inbox.HighestModSeq);
        await client.DisconnectAsync(true);
        return state;
    }

    /// <summary>Opens INBOX with QRESYNC from that state (UIDs 1:4 known) and collects the VANISHED and flag-change events.</summary>
    private async Task<(ImapClient Client, List<uint> Vanished, List<bool> Earlier, List<(uint Uid, MessageFlags Flags, ulong? ModSeq)> Flagged)> ResyncAsync(
        uint validity, ulong highest)
    {
        var client = await LoginAsync();
        await client.EnableQuickResyncAsync();
        var vanished = new List<uint>();
        var earlier = new List<bool>();
        var flagged = new List<(uint Uid, MessageFlags Flags, ulong? ModSeq)>();
        client.Inbox.MessagesVanished += (_, e) =>
        {
            vanished.AddRange(e.UniqueIds.Select(u => u.Id));
            earlier.Add(e.Earlier);
        };
        client.Inbox.MessageFlagsChanged += (_, e) => flagged.Add((e.UniqueId!.Value.Id, e.Flags, e.ModSeq));
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite, validity, highest, [new UniqueId(1), new UniqueId(2), new UniqueId(3), new UniqueId(4)]);
        return (client, vanished, earlier, flagged);
    }

    private static ulong HighestModSeqIn(IEnumerable<string> lines) =>
        ulong.Parse(lines.Select(l => Regex.Match(l, @"\[HIGHESTMODSEQ (\d+)\]")).First(m => m.Success).Groups[1].Value);

    [Fact]
    public async Task The_mod_sequence_rises_with_every_flag_change_and_every_delivery()
    {
        using var client = await LoginAsync();
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.CondStore));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.QuickResync));
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var start = inbox.HighestModSeq;
        var before = await ModSeqsAsync(inbox);
        Assert.Equal(start, before.Values.Max());

        await inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Flagged, silent: true);
        var afterFlag = await ModSeqsAsync(inbox);
        Assert.True(afterFlag[2] > start);
        Assert.Equal(before[1], afterFlag[1]);
        await inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Seen, silent: true);
        var afterSecondFlag = await ModSeqsAsync(inbox);
        Assert.True(afterSecondFlag[2] > afterFlag[2]);

        await _host.DeliverAsync("alice", string.Format(Message, 5));
        await inbox.CheckAsync();
        var afterDelivery = await ModSeqsAsync(inbox);
        Assert.True(afterDelivery[5] > afterSecondFlag[2]);
        var status = await RawStatusHighestModSeqAsync();
        Assert.Equal(afterDelivery[5], status);
        await client.DisconnectAsync(true);
    }

    private async Task<ulong> RawStatusHighestModSeqAsync()
    {
        await using var imap = await RawLoginAsync();
        var lines = await imap.CommandAsync("STATUS INBOX (MESSAGES HIGHESTMODSEQ)");
        return ulong.Parse(Regex.Match(lines[0], @"^\* STATUS ""?INBOX""? \(MESSAGES \d+ HIGHESTMODSEQ (\d+)\)$").Groups[1].Value);
    }

    [Fact]
    public async Task Mod_sequences_survive_a_server_restart_and_keep_rising_after_it()
    {
        Dictionary<uint, ulong> before;
        ulong highest;
        using (var client = await LoginAsync())
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.AddFlagsAsync(new UniqueId(3), MessageFlags.Answered, silent: true);
            before = await ModSeqsAsync(client.Inbox);
            await client.Inbox.CloseAsync();
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
            highest = client.Inbox.HighestModSeq;
            await client.DisconnectAsync(true);
        }
        await _host.DisposeAsync();
        ModSeqFile.ForgetCached(); // what a new process knows: only the file

        _host = ImapTestHost.Start(mailRoot: _mailRoot);
        using var again = await LoginAsync();
        await again.Inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(highest, again.Inbox.HighestModSeq);
        Assert.Equal(before.OrderBy(p => p.Key), (await ModSeqsAsync(again.Inbox)).OrderBy(p => p.Key));
        await again.Inbox.AddFlagsAsync(new UniqueId(1), MessageFlags.Flagged, silent: true);
        Assert.True((await ModSeqsAsync(again.Inbox))[1] > highest);
        await again.DisconnectAsync(true);
    }

    [Fact]
    public async Task A_flag_change_by_another_session_is_told_with_its_MODSEQ()
    {
        await using var watcher = await RawLoginAsync();
        Assert.Equal("* ENABLED CONDSTORE", (await watcher.CommandAsync("ENABLE CONDSTORE"))[0]);
        var select = await watcher.CommandAsync("SELECT INBOX");
        var highest = HighestModSeqIn(select);

        using var other = await LoginAsync();
        await other.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await other.Inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Flagged, silent: true);
        var modSeq = (await ModSeqsAsync(other.Inbox))[2];
        Assert.True(modSeq > highest);

        var noop = await watcher.CommandAsync("NOOP");
        Assert.Contains($"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent) MODSEQ ({modSeq}))", noop);
        await other.DisconnectAsync(true);
    }

    [Fact]
    public async Task QRESYNC_after_expunges_by_another_session_reports_exactly_those_as_VANISHED_EARLIER_and_the_changed_flags()
    {
        var (validity, highest) = await QuickResyncStateAsync();
        using (var other = await LoginAsync())
        {
            await other.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await other.Inbox.AddFlagsAsync([new UniqueId(2), new UniqueId(4)], MessageFlags.Deleted, silent: true);
            await other.Inbox.ExpungeAsync();
            await other.Inbox.AddFlagsAsync(new UniqueId(3), MessageFlags.Seen, silent: true);
            await other.DisconnectAsync(true);
        }

        var (resynced, vanished, earlier, flagged) = await ResyncAsync(validity, highest);
        using var client = resynced;
        Assert.Equal([2u, 4u], vanished);
        Assert.Equal([true], earlier);
        var change = Assert.Single(flagged);
        Assert.Equal(3u, change.Uid);
        Assert.True(change.Flags.HasFlag(MessageFlags.Seen));
        Assert.True(change.ModSeq > highest);
        Assert.Equal(2, client.Inbox.Count);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task The_QRESYNC_wire_text_VANISHED_replaces_EXPUNGE_and_a_replaced_mailbox_is_CLOSED()
    {
        await using var imap = await RawLoginAsync();
        Assert.StartsWith("a2 BAD", (await imap.CommandAsync("SELECT INBOX (QRESYNC (1 1))"))[^1]);
        Assert.Equal("* ENABLED QRESYNC", (await imap.CommandAsync("ENABLE QRESYNC"))[0]);
        var select = await imap.CommandAsync("SELECT INBOX");
        var validity = Regex.Match(string.Join("\n", select), @"\[UIDVALIDITY (\d+)\]").Groups[1].Value;
        var highest = HighestModSeqIn(select);
        await imap.CommandAsync("STORE 1,3 +FLAGS.SILENT (\\Deleted)");
        var expunge = await imap.CommandAsync("EXPUNGE");
        Assert.Equal("* VANISHED 1,3", expunge[0]);
        Assert.DoesNotContain(expunge, l => l.EndsWith(" EXPUNGE", StringComparison.Ordinal));
        // RFC 7162 3.2.10: the client learns the mod-sequence its VANISHED brought.
        var afterExpunge = HighestModSeqIn(expunge);
        Assert.True(afterExpunge > highest);
        Assert.Matches(@"^a\d+ OK \[HIGHESTMODSEQ \d+\] Expunge completed\.$", expunge[^1]);

        // Nothing left changed since: only the expunges are told.
        var fetch = await imap.CommandAsync($"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {highest} VANISHED)");
        Assert.Equal(["* VANISHED (EARLIER) 1,3", "a7 OK Fetch completed."], fetch);

        var reselect = await imap.CommandAsync($"EXAMINE INBOX (QRESYNC ({validity} {highest} 1:4))");
        Assert.Equal("* OK [CLOSED] Previous mailbox closed.", reselect[0]);
        Assert.Contains("* VANISHED (EARLIER) 1,3", reselect);
        Assert.Contains($"* OK [HIGHESTMODSEQ {afterExpunge}] Highest", reselect);
        Assert.StartsWith("a8 OK [READ-ONLY]", reselect[^1]);
    }

    [Fact]
    public async Task VANISHED_EARLIER_names_only_the_UIDs_expunged_after_the_clients_mod_sequence()
    {
        await using var imap = await RawLoginAsync();
        await imap.CommandAsync("ENABLE QRESYNC");
        var select = await imap.CommandAsync("SELECT INBOX");
        var validity = Regex.Match(string.Join("\n", select), @"\[UIDVALIDITY (\d+)\]").Groups[1].Value;
        await imap.CommandAsync("UID STORE 1 +FLAGS.SILENT (\\Deleted)");
        var known = HighestModSeqIn(await imap.CommandAsync("EXPUNGE"));
        await imap.CommandAsync("UID STORE 3 +FLAGS.SILENT (\\Deleted)");
        await imap.CommandAsync("EXPUNGE");

        var fetch = await imap.CommandAsync($"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {known} VANISHED)");
        Assert.Equal("* VANISHED (EARLIER) 3", fetch[0]);
        var reselect = await imap.CommandAsync($"SELECT INBOX (QRESYNC ({validity} {known} 1:4))");
        Assert.Contains("* VANISHED (EARLIER) 3", reselect);
        Assert.Single(reselect, l => l.StartsWith("* VANISHED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_new_empty_folder_has_HIGHESTMODSEQ_1_in_SELECT_and_STATUS()
    {
        await using var imap = await RawLoginAsync();
        await imap.CommandAsync("CREATE Projects");
        Assert.Contains("* OK [HIGHESTMODSEQ 1] Highest", await imap.CommandAsync("EXAMINE Projects"));
        // STATUS HIGHESTMODSEQ enables CONDSTORE, so the selected mailbox's HIGHESTMODSEQ comes first (RFC 7162 3.1).
        Assert.Equal(["* OK [HIGHESTMODSEQ 1] Highest", "* STATUS \"Projects\" (HIGHESTMODSEQ 1)"],
            (await imap.CommandAsync("STATUS Projects (HIGHESTMODSEQ)"))[..^1]);
    }

    [Fact]
    public async Task FETCH_CHANGEDSINCE_returns_only_changed_messages_and_SEARCH_MODSEQ_reports_the_highest_found()
    {
        await using var imap = await RawLoginAsync();
        var select = await imap.CommandAsync("SELECT INBOX (CONDSTORE)");
        var highest = HighestModSeqIn(select);
        var store = await imap.CommandAsync("STORE 2 +FLAGS (\\Answered)");
        var stored = Regex.Match(store[0], @"^\* 2 FETCH \(FLAGS \(\\Answered \\Recent\) MODSEQ \((\d+)\)\)$");
        Assert.True(stored.Success, store[0]);
        var modSeq = ulong.Parse(stored.Groups[1].Value);
        Assert.True(modSeq > highest);

        var fetch = await imap.CommandAsync($"FETCH 1:* (FLAGS) (CHANGEDSINCE {highest})");
        Assert.Equal([$"* 2 FETCH (FLAGS (\\Answered \\Recent) MODSEQ ({modSeq}))"], fetch[..^1]);
        Assert.Equal($"* SEARCH 2 (MODSEQ {modSeq})", (await imap.CommandAsync($"SEARCH MODSEQ {highest + 1}"))[0]);
        Assert.Equal($"* SEARCH 2 (MODSEQ {modSeq})", (await imap.CommandAsync($"SEARCH MODSEQ \"/flags/\\\\answered\" all {highest + 1}"))[0]);
        Assert.Equal("* SEARCH", (await imap.CommandAsync($"SEARCH MODSEQ {modSeq + 1}"))[0]);
        Assert.Equal($"* ESEARCH (TAG \"a8\") UID ALL 2 MODSEQ {modSeq}", (await imap.CommandAsync($"UID SEARCH RETURN (ALL) MODSEQ {highest + 1}"))[0]);
        // With CONDSTORE, even .SILENT tells the new MODSEQ.
        var silent = await imap.CommandAsync("UID STORE 3 +FLAGS.SILENT (\\Seen)");
        Assert.Matches(@"^\* 3 FETCH \(UID 3 MODSEQ \(\d+\)\)$", silent[0]);
    }

    [Fact]
    public async Task STORE_UNCHANGEDSINCE_leaves_a_message_changed_since_alone_and_answers_MODIFIED()
    {
        await using var imap = await RawLoginAsync();
        var highest = HighestModSeqIn(await imap.CommandAsync("SELECT INBOX (CONDSTORE)"));
        using (var other = await LoginAsync())
        {
            await other.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await other.Inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Flagged, silent: true);
            await other.DisconnectAsync(true);
        }
        var store = await imap.CommandAsync($"STORE 1:3 (UNCHANGEDSINCE {highest}) +FLAGS.SILENT (\\Deleted)");
        Assert.Equal("a3 OK [MODIFIED 2] Conditional STORE failed.", store[^1]);
        var flags = await imap.CommandAsync("FETCH 1:3 (UID FLAGS)");
        Assert.Contains(flags, l => l.StartsWith("* 1 FETCH (UID 1 FLAGS (\\Deleted", StringComparison.Ordinal));
        Assert.Contains(flags, l => l.StartsWith("* 2 FETCH (UID 2 FLAGS (\\Flagged", StringComparison.Ordinal));
        Assert.Contains(flags, l => l.StartsWith("* 3 FETCH (UID 3 FLAGS (\\Deleted", StringComparison.Ordinal));

        // MailKit sends UID STORE (UNCHANGEDSINCE) and returns the UIDs it did not change.
        using var client = await LoginAsync();
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var known = client.Inbox.HighestModSeq;
        await imap.CommandAsync("STORE 4 +FLAGS.SILENT (\\Answered)");
        var unchanged = await client.Inbox.StoreAsync([new UniqueId(3), new UniqueId(4)],
            new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { UnchangedSince = known, Silent = true });
        Assert.Equal([new UniqueId(4)], unchanged);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Flags_changed_in_the_Maildir_file_name_as_Dovecot_would_get_a_new_mod_sequence()
    {
        using var client = await LoginAsync();
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var before = await ModSeqsAsync(client.Inbox);
        var highest = client.Inbox.HighestModSeq;
        await client.Inbox.CloseAsync();

        // Dovecot marks a message \Flagged by renaming its file into cur/ with the letter F.
        var inbox = _host.Store.Open("alice").Inbox;
        var message = (await inbox.ListMessagesAsync()).Messages.Single(m => m.Uid == 3);
        var name = Path.GetFileName(message.Path);
        File.Move(message.Path, Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(message.Path))!, "cur", name + ":2,F"));

        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var after = await ModSeqsAsync(client.Inbox);
        Assert.True(after[3] > highest);
        Assert.True(client.Inbox.HighestModSeq >= after[3]);
        Assert.Equal(before[1], after[1]);
        var changed = await client.Inbox.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags) { ChangedSince = highest });
        var only = Assert.Single(changed);
        Assert.Equal(3u, only.UniqueId.Id);
        Assert.True(only.Flags!.Value.HasFlag(MessageFlags.Flagged));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Flags_changed_and_messages_expunged_by_a_real_Dovecot_reach_a_QRESYNC_client_of_ours()
    {
        var (validity, highest) = await QuickResyncStateAsync();
        using (var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + _host.Store.PathFor("alice"))]))
        {
            using var theirs = new ImapClient();
            await theirs.ConnectAsync("127.0.0.1", dovecot.ImapPort, SecureSocketOptions.None);
            await theirs.AuthenticateAsync("alice", "secret");
            await theirs.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await theirs.Inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Flagged, silent: true);
            await theirs.Inbox.AddFlagsAsync(new UniqueId(4), MessageFlags.Deleted, silent: true);
            await theirs.Inbox.ExpungeAsync();
            await theirs.DisconnectAsync(true);
            Assert.Empty(dovecot.LogProblems());
        }

        var (resynced, vanished, _, flagged) = await ResyncAsync(validity, highest);
        using var client = resynced;
        Assert.Equal([4u], vanished);
        var change = Assert.Single(flagged);
        Assert.Equal(2u, change.Uid);
        Assert.True(change.Flags.HasFlag(MessageFlags.Flagged));
        Assert.True(change.ModSeq > highest);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task A_lost_mailops_modseq_file_is_rebuilt_without_HIGHESTMODSEQ_going_back_and_QRESYNC_then_reports_every_known_UID_gone()
    {
        ulong highest;
        uint validity;
        using (var client = await LoginAsync())
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.AddFlagsAsync(new UniqueId(1), MessageFlags.Seen, silent: true);
            await client.Inbox.AddFlagsAsync(new UniqueId(1), MessageFlags.Flagged, silent: true);
            await client.Inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Deleted, silent: true);
            await client.Inbox.ExpungeAsync();
            await client.Inbox.CloseAsync();
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
            (validity, highest) = (client.Inbox.UidValidity, client.Inbox.HighestModSeq);
            await client.DisconnectAsync(true);
        }
        var folderPath = Path.GetDirectoryName(Path.GetDirectoryName((await _host.Store.Open("alice").Inbox.ListMessagesAsync()).Messages[0].Path))!;
        File.Delete(Path.Combine(folderPath, ModSeqFile.FileName));
        ModSeqFile.ForgetCached();

        await using var imap = await RawLoginAsync();
        await imap.CommandAsync("ENABLE QRESYNC");
        // A known-uids range far beyond the mailbox is answered from what the mailbox holds.
        var select = await imap.CommandAsync($"SELECT INBOX (QRESYNC ({validity} {highest} 1:4000000000))");
        Assert.True(HighestModSeqIn(select) > highest);
        // The expunge history went with the file: every known UID that is not here is reported (RFC 7162 3.2.5.1).
        Assert.Contains("* VANISHED (EARLIER) 2", select);
        // Every message counts as changed, so the client refetches all flags.
        Assert.Equal(3, select.Count(l => Regex.IsMatch(l, @"^\* \d FETCH \(UID \d FLAGS \([^)]*\) MODSEQ \(\d+\)\)$")));
        Assert.Contains(select, l => l.StartsWith("* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged", StringComparison.Ordinal) || l.StartsWith("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Seen", StringComparison.Ordinal));
        Assert.Equal("* VANISHED (EARLIER) 2", (await imap.CommandAsync($"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {highest} VANISHED)"))[0]);
    }
}
