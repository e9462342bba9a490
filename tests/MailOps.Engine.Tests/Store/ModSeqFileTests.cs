using System.Text;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Store;

/// <summary>The folder's mailops-modseq file (RFC 7162 mod-sequences) through what a restart, a crash and long use do to it.</summary>
public sealed class ModSeqFileTests : IDisposable
{
    private readonly string _work = DovecotServer.NewWorkDirectory("mailops-modseq");
    private readonly MaildirStore _store;

    public ModSeqFileTests() => _store = new MaildirStore(Path.Combine(_work, "%n", "Maildir"));

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static MemoryStream Message(string subject) => new(Encoding.UTF8.GetBytes($"Subject: {subject}\r\n\r\nHello.\r\n"));

    private string ModSeqPath => Path.Combine(_store.PathFor("alice"), ModSeqFile.FileName);

    [Fact]
    public async Task A_new_folder_starts_at_one_and_every_change_and_expunge_takes_the_next_mod_sequence()
    {
        var inbox = _store.Open("alice").Inbox;
        var first = await inbox.DeliverAsync(Message("one"));
        var second = await inbox.DeliverAsync(Message("two"));
        var listed = await inbox.ListMessagesAsync();
        Assert.Equal([2ul, 3ul], listed.Messages.Select(m => m.ModSeq));
        Assert.Equal(3ul, listed.HighestModSeq);
        Assert.Equal(4ul, (await inbox.SetFlagsAsync(first.Uid, MessageFlags.Seen))!.ModSeq);
        await inbox.ExpungeAsync([second.Uid]);
        Assert.Equal(5ul, inbox.HighestModSeq());
        Assert.Equal([second.Uid], inbox.ExpungedSince(4));
        Assert.Empty(inbox.ExpungedSince(5)!);
        Assert.StartsWith("mailops-modseq 1 V", File.ReadAllLines(ModSeqPath)[0]);
    }

    [Fact]
    public async Task A_line_a_crash_left_unfinished_is_cut_off_and_the_next_change_is_read_back_after_a_restart()
    {
        var inbox = _store.Open("alice").Inbox;
        var stored = await inbox.DeliverAsync(Message("one"));
        await inbox.ListMessagesAsync();
        File.AppendAllText(ModSeqPath, "M 1 9");
        ModSeqFile.ForgetCached();

        var changed = await inbox.SetFlagsAsync(stored.Uid, MessageFlags.Flagged);
        ModSeqFile.ForgetCached();
        var listed = Assert.Single((await inbox.ListMessagesAsync()).Messages);
        Assert.Equal(changed!.ModSeq, listed.ModSeq);
        Assert.DoesNotContain("M 1 9M", File.ReadAllText(ModSeqPath));
    }

    [Fact]
    public async Task A_mod_sequence_reported_before_a_power_loss_is_never_given_again_though_only_reservations_are_fsynced()
    {
        var inbox = _store.Open("alice").Inbox;
        var stored = await inbox.DeliverAsync(Message("one"));
        await inbox.ListMessagesAsync();
        ulong reported = 0;
        for (var i = 0; i < 5; i++) reported = (await inbox.SetFlagsAsync(stored.Uid, i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None))!.ModSeq;
        var lines = File.ReadAllLines(ModSeqPath).ToList();
        // Five changes, one reservation: the other lines are not fsynced one by one.
        Assert.Single(lines, l => l.StartsWith("R ", StringComparison.Ordinal));
        // A power loss takes back every line after the last fsynced one, the reservation.
        File.WriteAllLines(ModSeqPath, lines.Take(lines.FindIndex(l => l.StartsWith("R ", StringComparison.Ordinal)) + 1));
        ModSeqFile.ForgetCached();

        var after = (await inbox.SetFlagsAsync(stored.Uid, MessageFlags.Flagged))!.ModSeq;
        Assert.True(after > reported, $"{after} after the crash, {reported} reported before it");
        Assert.True((await inbox.ListMessagesAsync()).HighestModSeq >= after);
    }

    [Fact]
    public async Task A_long_used_file_is_written_whole_again_and_keeps_its_mod_sequences_and_expunges()
    {
        var inbox = _store.Open("alice").Inbox;
        var kept = await inbox.DeliverAsync(Message("kept"));
        var gone = await inbox.DeliverAsync(Message("gone"));
        await inbox.ListMessagesAsync();
        await inbox.ExpungeAsync([gone.Uid]);
        var afterExpunge = inbox.HighestModSeq();
        ulong last = 0;
        for (var i = 0; i < 1100; i++)
            last = (await inbox.SetFlagsAsync(kept.Uid, i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None))!.ModSeq;
        Assert.True(File.ReadAllLines(ModSeqPath).Length < 100);
        ModSeqFile.ForgetCached();
        var snapshot = await inbox.ListMessagesAsync();
        Assert.Equal(last, snapshot.HighestModSeq);
        Assert.Equal(last, Assert.Single(snapshot.Messages).ModSeq);
        Assert.Equal([gone.Uid], inbox.ExpungedSince(afterExpunge - 1));
    }
}
