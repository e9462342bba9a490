using MailOps.Engine.Store;

namespace MailOps.Engine.Imap;

/// <summary>
/// CONDSTORE and QRESYNC (RFC 7162): mod-sequences in SELECT, STATUS, FETCH, STORE and SEARCH, the SELECT and FETCH
/// modifiers that resynchronise a client, and VANISHED in place of EXPUNGE once QRESYNC is enabled. The mod-sequences
/// themselves are the store's (<see cref="StoredMessage.ModSeq"/>, <see cref="MailFolderSnapshot.HighestModSeq"/>).
/// </summary>
internal sealed partial class ImapSession
{
    private static readonly string[] ModSeqCapabilities = ["CONDSTORE", "QRESYNC"];

    // RFC 7162 3.1: on after the first CONDSTORE enabling command; QRESYNC only by ENABLE (3.2.3), and implies CONDSTORE.
    private bool _condStore;
    private bool _qresync;
    // The highest mod-sequence of the last listing whose changes the client has all been told, and the last one told.
    private ulong _syncedModSeq;
    private ulong _toldModSeq;
    private readonly List<uint> _vanished = [];

    /// <summary>What SELECT and EXAMINE were asked besides the name (RFC 7162 3.1.8 CONDSTORE, 3.2.5 QRESYNC).</summary>
    private sealed record SelectModSeqParameters(bool CondStore, uint UidValidity, ulong ModSeq, ImapSequenceSet? KnownUids,
        IReadOnlyList<(uint Seq, uint Uid)> SeqMatch);

    /// <summary>What FETCH was asked besides the items (RFC 7162 3.1.4.1 CHANGEDSINCE, 3.2.6 VANISHED).</summary>
    private sealed record FetchModifiers(ulong? ChangedSince, bool Vanished);

    /// <summary>RFC 5161 3.1: enables CONDSTORE and QRESYNC among <paramref name="names"/>; returns those newly enabled.</summary>
    private async Task<List<string>> EnableModSeqAsync(IEnumerable<string> names)
    {
        var enabled = new List<string>();
        foreach (var name in names.Select(n => n.ToUpperInvariant()).Distinct())
        {
            if (name == "CONDSTORE" && !_condStore) enabled.Add(name);
            else if (name == "QRESYNC" && !_qresync)
            {
                _qresync = true;
                enabled.Add(name);
            }
            else continue;
            await EnableCondStoreAsync().ConfigureAwait(false);
        }
        return enabled;
    }

    /// <summary>RFC 7162 3.1: the first CONDSTORE enabling command while a mailbox is selected gets its HIGHESTMODSEQ.</summary>
    private async Task EnableCondStoreAsync()
    {
        if (_condStore) return;
        _condStore = true;
        if (_folder is not null) await WriteHighestModSeqAsync().ConfigureAwait(false);
    }

    private async Task WriteHighestModSeqAsync()
    {
        _toldModSeq = Math.Max(_toldModSeq, _syncedModSeq);
        await WriteLineAsync(Invariant($"* OK [HIGHESTMODSEQ {_syncedModSeq}] Highest")).ConfigureAwait(false);
    }

    /// <summary>
    /// The optional parameter list of SELECT and EXAMINE, to the end of the command:
    /// <c>(CONDSTORE)</c> or <c>(QRESYNC (uidvalidity modseq [known-uids] [(known-sequence-set known-uid-set)]))</c>.
    /// </summary>
    private SelectModSeqParameters? SelectParameters(ImapParser p)
    {
        if (!p.TryChar(' '))
        {
            p.End();
            return null;
        }
        p.Expect('(');
        var condStore = false;
        uint uidValidity = 0;
        ulong modSeq = 0;
        ImapSequenceSet? knownUids = null;
        var seqMatch = new List<(uint, uint)>();
        do
        {
            var name = p.Atom().ToUpperInvariant();
            if (name == "CONDSTORE")
            {
                condStore = true;
                continue;
            }
            if (name != "QRESYNC") throw new ImapSyntaxException("Unknown SELECT parameter " + name);
            // RFC 7162 3.2.5: QRESYNC without ENABLE QRESYNC is BAD.
            if (!_qresync) throw new ImapSyntaxException("QRESYNC not enabled.");
            p.Space();
            p.Expect('(');
            uidValidity = p.NonZeroNumber();
            p.Space();
            modSeq = ImapModSequence.Parse(p, allowZero: true);
            if (p.TryChar(' ') && p.AtSequenceSet)
            {
                knownUids = p.SequenceSet();
                p.TryChar(' ');
            }
            if (p.TryChar('('))
            {
                var seqs = p.SequenceSet();
                p.Space();
                var uids = p.SequenceSet();
                p.Expect(')');
                seqMatch.AddRange(seqs.Numbers().Zip(uids.Numbers()));
                if (seqs.Numbers().Count() != uids.Numbers().Count()) throw new ImapSyntaxException("Invalid QRESYNC sets.");
            }
            p.Expect(')');
            condStore = true;
        }
        while (p.TryChar(' '));
        p.Expect(')');
        p.End();
        return new SelectModSeqParameters(condStore, uidValidity, modSeq, knownUids, seqMatch);
    }

    /// <summary>
    /// The end of SELECT's untagged responses: HIGHESTMODSEQ (RFC 7162 3.1.2.1, always: mod-sequences are permanent here),
    /// then for QRESYNC with the right UIDVALIDITY what changed since the client's mod-sequence (3.2.5): VANISHED (EARLIER)
    /// and FETCH (UID FLAGS MODSEQ).
    /// </summary>
    private async Task SelectedModSeqAsync(MailFolderSnapshot snapshot, SelectModSeqParameters? parameters)
    {
        _syncedModSeq = snapshot.HighestModSeq;
        if (parameters?.CondStore == true) _condStore = true;
        await WriteHighestModSeqAsync().ConfigureAwait(false);
        if (parameters is not { UidValidity: not 0 } q || q.UidValidity != _uidValidity) return;
        var largest = _uidNext - 1;
        bool Known(uint uid) => q.KnownUids is null || q.KnownUids.Contains(uid, largest);
        var present = _messages.Select(m => m.Uid).ToHashSet();
        var vanished = _folder!.ExpungedSince(q.ModSeq) is { } exact
            ? UidSet(exact.Where(u => Known(u) && !present.Contains(u)).ToList())
            : ForgottenExpunges(q, largest);
        if (vanished.Length > 0) await WriteLineAsync("* VANISHED (EARLIER) " + vanished).ConfigureAwait(false);
        for (var i = 0; i < _messages.Count; i++)
        {
            var m = _messages[i];
            if (m.ModSeq > q.ModSeq && Known(m.Uid))
                await WriteLineAsync(Invariant($"* {i + 1} FETCH (UID {m.Uid} FLAGS {FlagList(m)} MODSEQ ({m.ModSeq}))")).ConfigureAwait(false);
        }
    }

    // RFC 7162 3.2.5.1/3.2.5.2: with the expunge history gone, every known UID that is not here is reported, except those at
    // or below the last UID whose sequence number the client's seq-match data shows to be unchanged.
    private string ForgottenExpunges(SelectModSeqParameters q, uint largest)
    {
        uint floor = 0;
        foreach (var (seq, uid) in q.SeqMatch)
        {
            if (seq < 1 || seq > _messages.Count || _messages[(int)seq - 1].Uid != uid) break;
            floor = uid;
        }
        var known = q.KnownUids?.Ranges(largest) ?? (largest == 0 ? [] : [(1u, largest)]);
        return MissingUids(known.Where(r => r.To > floor).Select(r => (Math.Max(r.From, floor + 1), r.To)));
    }

    /// <summary>
    /// The UIDs of <paramref name="ranges"/> (ascending) that are not in the mailbox, as a uid-set; walked range by range
    /// against the sorted UIDs here, never number by number, so "1:*" of a large mailbox costs what the mailbox holds.
    /// </summary>
    private string MissingUids(IEnumerable<(uint From, uint To)> ranges)
    {
        var parts = new List<string>();
        void Gap(ulong from, ulong to)
        {
            if (from <= to) parts.Add(from == to ? Invariant($"{from}") : Invariant($"{from}:{to}"));
        }
        foreach (var (from, to) in ranges)
        {
            ulong next = from;
            var i = _messages.BinarySearch(new StoredMessage(from, 0, 0, MessageFlags.None, [], default, ""), UidOrder.Instance);
            for (i = i < 0 ? ~i : i; i < _messages.Count && _messages[i].Uid <= to; i++)
            {
                Gap(next, _messages[i].Uid - 1ul);
                next = _messages[i].Uid + 1ul;
            }
            Gap(next, to);
        }
        return string.Join(',', parts);
    }

    private sealed class UidOrder : IComparer<StoredMessage>
    {
        public static readonly UidOrder Instance = new();

        public int Compare(StoredMessage? x, StoredMessage? y) => x!.Uid.CompareTo(y!.Uid);
    }

    /// <summary>The optional FETCH modifiers, to the end of the command: <c>(CHANGEDSINCE n [VANISHED])</c>.</summary>
    private async Task<FetchModifiers> FetchModifiersAsync(ImapParser p, bool uid)
    {
        if (!p.TryChar(' '))
        {
            p.End();
            return new FetchModifiers(null, false);
        }
        p.Expect('(');
        ulong? changedSince = null;
        var vanished = false;
        do
        {
            var name = p.Atom().ToUpperInvariant();
            switch (name)
            {
                case "CHANGEDSINCE":
                    p.Space();
                    changedSince = ImapModSequence.Parse(p, allowZero: true);
                    break;
                case "VANISHED":
                    vanished = true;
                    break;
                default:
                    throw new ImapSyntaxException("Unknown FETCH modifier " + name);
            }
        }
        while (p.TryChar(' '));
        p.Expect(')');
        p.End();
        // RFC 7162 3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE, once QRESYNC is enabled.
        if (vanished && (!uid || changedSince is null || !_qresync)) throw new ImapSyntaxException("VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC.");
        if (changedSince is not null) await EnableCondStoreAsync().ConfigureAwait(false);
        return new FetchModifiers(changedSince, vanished);
    }

    /// <summary>RFC 7162 3.2.6: the UIDs of <paramref name="set"/> expunged since the client's mod-sequence, before the FETCH responses.</summary>
    private async Task WriteVanishedEarlierAsync(ImapSequenceSet set, ulong changedSince)
    {
        var largest = _uidNext - 1;
        var present = _messages.Select(m => m.Uid).ToHashSet();
        var vanished = _folder!.ExpungedSince(changedSince) is { } exact
            ? UidSet(exact.Where(u => set.Contains(u, largest) && !present.Contains(u)).ToList())
            : MissingUids(set.Ranges(largest));
        if (vanished.Length > 0) await WriteLineAsync("* VANISHED (EARLIER) " + vanished).ConfigureAwait(false);
    }

    /// <summary>The optional STORE modifier before the item: <c>(UNCHANGEDSINCE n)</c> (RFC 7162 3.1.3).</summary>
    private async Task<ulong?> StoreModifierAsync(ImapParser p)
    {
        if (p.Peek != '(') return null;
        p.Expect('(');
        var name = p.Atom().ToUpperInvariant();
        if (name != "UNCHANGEDSINCE") throw new ImapSyntaxException("Unknown STORE modifier " + name);
        p.Space();
        var value = ImapModSequence.Parse(p, allowZero: true);
        p.Expect(')');
        p.Space();
        await EnableCondStoreAsync().ConfigureAwait(false);
        return value;
    }

    /// <summary>" MODSEQ (n)" for an untagged FETCH of a flag change once CONDSTORE is enabled (RFC 7162 3.1.4.2), else "".</summary>
    private string ModSeqItem(StoredMessage m) => _condStore ? Invariant($" MODSEQ ({m.ModSeq})") : "";

    /// <summary>True when the client must be told that <paramref name="before"/> became <paramref name="now"/>.</summary>
    private bool FlagsChanged(StoredMessage before, StoredMessage now) =>
        before.Flags != now.Flags || !before.Keywords.SequenceEqual(now.Keywords) || (_condStore && before.ModSeq != now.ModSeq);

    /// <summary>Tells the client a message went: EXPUNGE, or once QRESYNC is enabled a VANISHED collected until <see cref="FlushVanishedAsync"/>.</summary>
    private Task WriteExpungedAsync(int index, uint uid)
    {
        if (!_qresync) return WriteLineAsync(Invariant($"* {index + 1} EXPUNGE"));
        _vanished.Add(uid);
        return Task.CompletedTask;
    }

    /// <summary>RFC 7162 3.2.10: the expunges as one VANISHED response.</summary>
    private async Task FlushVanishedAsync()
    {
        if (_vanished.Count == 0) return;
        _vanished.Sort();
        await WriteLineAsync("* VANISHED " + UidSet(_vanished)).ConfigureAwait(false);
        _vanished.Clear();
    }

    /// <summary>
    /// The tagged OK with HIGHESTMODSEQ once QRESYNC is enabled and the client has not been told the mod-sequence its
    /// VANISHED and EXISTS responses brought (RFC 7162 3.2.10, as Dovecot's imap_sync_send_highestmodseq).
    /// </summary>
    private string WithHighestModSeq(string result)
    {
        if (!_qresync || _folder is null || _syncedModSeq <= _toldModSeq || !result.StartsWith("OK ", StringComparison.Ordinal) || result.StartsWith("OK [", StringComparison.Ordinal))
            return result;
        _toldModSeq = _syncedModSeq;
        return Invariant($"OK [HIGHESTMODSEQ {_syncedModSeq}] ") + result[3..];
    }

    /// <summary>The SEARCH key MODSEQ's answer suffix (RFC 7162 3.1.5): the highest mod-sequence of the messages found.</summary>
    private static string SearchModSeqSuffix(bool esearch, ulong highest) =>
        highest == 0 ? "" : esearch ? Invariant($" MODSEQ {highest}") : Invariant($" (MODSEQ {highest})");

    /// <summary>STATUS HIGHESTMODSEQ (RFC 7162 3.1.6) is a CONDSTORE enabling command.</summary>
    private Task StatusModSeqAsync(IReadOnlyList<string> items) =>
        items.Contains("HIGHESTMODSEQ") ? EnableCondStoreAsync() : Task.CompletedTask;
}
