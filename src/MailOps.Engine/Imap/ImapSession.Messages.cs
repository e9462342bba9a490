using System.Globalization;
using System.Text;
using MailOps.Engine.Store;

namespace MailOps.Engine.Imap;

/// <summary>The message commands of the SELECTED state (RFC 3501 6.4): FETCH, STORE, SEARCH, COPY, MOVE (RFC 6851).</summary>
internal sealed partial class ImapSession
{
    /// <summary>The indexes into <see cref="_messages"/> a sequence set names, by sequence number or by UID.</summary>
    private List<int> Resolve(ImapSequenceSet set, bool uid)
    {
        var found = new List<int>();
        if (uid)
        {
            var largest = _messages.Count == 0 ? 0 : _messages[^1].Uid;
            for (var i = 0; i < _messages.Count; i++)
            {
                if (set.Contains(_messages[i].Uid, largest)) found.Add(i);
            }
            return found;
        }
        var count = (uint)_messages.Count;
        // RFC 3501 9: a sequence number beyond the mailbox is an error ("*" with an empty one too).
        if (count == 0 || set.ExceedsLargest(count)) throw new ImapSyntaxException("Invalid messageset");
        for (var i = 0; i < _messages.Count; i++)
        {
            if (set.Contains((uint)i + 1, count)) found.Add(i);
        }
        return found;
    }

    // Message octets and parses this session has read: a second SEARCH or FETCH of them reads nothing again.
    private readonly ImapMessageCache _contents = new(16 * 1024 * 1024);

    private async Task<string> FetchAsync(ImapParser p, bool uid)
    {
        p.Space();
        var set = p.SequenceSet();
        p.Space();
        var items = ImapFetchItem.ParseList(p);
        var modifiers = await FetchModifiersAsync(p, uid).ConfigureAwait(false);
        // RFC 3501 6.4.8: UID FETCH always returns the UID.
        if (uid && !items.Any(i => i.Name == "UID")) items.Insert(0, new ImapFetchItem("UID"));
        // RFC 7162 3.1.4.1: CHANGEDSINCE returns MODSEQ too; asking for MODSEQ enables CONDSTORE.
        if (modifiers.ChangedSince is not null && !items.Any(i => i.Name == "MODSEQ")) items.Add(new ImapFetchItem("MODSEQ"));
        if (items.Any(i => i.Name == "MODSEQ")) await EnableCondStoreAsync().ConfigureAwait(false);
        if (modifiers.Vanished) await WriteVanishedEarlierAsync(set, modifiers.ChangedSince!.Value).ConfigureAwait(false);
        var marksSeen = !_readOnly && items.Any(i => i.Name is "RFC822" or "RFC822.TEXT" || (i.IsSection && !i.Peek));
        var gone = false;
        foreach (var index in Resolve(set, uid))
        {
            var message = _messages[index];
            if (message.ModSeq <= modifiers.ChangedSince) continue;
            byte[]? raw = null;
            ImapMessage? parsed = null;
            if (items.Any(i => i.Name is not ("FLAGS" or "UID" or "INTERNALDATE" or "RFC822.SIZE" or "MODSEQ")))
            {
                raw = _contents.Raw(_folder!, message);
                if (raw is null)
                {
                    gone = true; // expunged by someone else; its EXPUNGE comes later
                    continue;
                }
            }
            var current = message;
            ImapMessage Parsed() => parsed ??= _contents.Parsed(_folder!, current) ?? new ImapMessage(raw!);
            var binaries = new Dictionary<ImapFetchItem, ImapBinary>(ReferenceEqualityComparer.Instance);
            foreach (var item in items.Where(i => i.Name is "BINARY[]" or "BINARY.SIZE"))
            {
                // RFC 3516 4.3: an encoding that cannot be undone fails the command, before \Seen is set.
                if (ImapBinary.Decode(Parsed(), item.Part) is not { } binary) return "NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.";
                binaries[item] = binary;
            }
            var addFlags = false;
            if (marksSeen && !message.Flags.HasFlag(MessageFlags.Seen))
            {
                // RFC 3501 6.4.5: fetching a body without PEEK sets \Seen.
                if (await _folder!.SetFlagsAsync(message.Uid, message.Flags | MessageFlags.Seen, null, _stopping).ConfigureAwait(false) is { } updated)
                {
                    _messages[index] = message = updated;
                    addFlags = !items.Any(i => i.Name == "FLAGS");
                }
            }
            var r = new ImapResponse().Raw(Invariant($"* {index + 1} FETCH ("));
            var first = true;
            foreach (var item in items)
            {
                if (!first) r.Raw(" ");
                first = false;
                switch (item.Name)
                {
                    case "FLAGS": r.Raw("FLAGS " + FlagList(message)); break;
                    case "UID": r.Raw(Invariant($"UID {message.Uid}")); break;
                    case "INTERNALDATE": r.Raw("INTERNALDATE " + ImapParser.FormatDateTime(message.ReceivedDate.ToLocalTime())); break;
                    case "RFC822.SIZE": r.Raw(Invariant($"RFC822.SIZE {message.Size}")); break;
                    case "MODSEQ": r.Raw(Invariant($"MODSEQ ({message.ModSeq})")); break;
                    case "ENVELOPE":
                        r.Raw("ENVELOPE ");
                        Parsed().WriteEnvelope(r);
                        break;
                    case "BODYSTRUCTURE" or "BODY":
                        r.Raw(item.Name + " ");
                        Parsed().WriteBodyStructure(r, extensible: item.Name == "BODYSTRUCTURE");
                        break;
                    case "BINARY[]" or "BINARY.SIZE":
                        WriteBinary(r, item, binaries[item]);
                        break;
                    case "RFC822":
                        r.Raw("RFC822 ").Literal(raw);
                        Count(raw!.Length, header: false);
                        break;
                    case "RFC822.HEADER":
                    {
                        var header = Parsed().Section([], "HEADER", [])!;
                        r.Raw("RFC822.HEADER ").Literal(header);
                        Count(header.Length, header: true);
                        break;
                    }
                    case "RFC822.TEXT":
                    {
                        var text = Parsed().Section([], "TEXT", [])!;
                        r.Raw("RFC822.TEXT ").Literal(text);
                        Count(text.Length, header: false);
                        break;
                    }
                    default:
                    {
                        var section = item.Part.Count == 0 && item.Text == "" ? raw : Parsed().Section(item.Part, item.Text, item.Fields);
                        r.Raw(item.ResponseName + " ");
                        if (section is null)
                        {
                            r.Raw("NIL");
                            break;
                        }
                        section = item.Partial(section);
                        r.Literal(section);
                        Count(section.Length, header: item.Text.StartsWith("HEADER", StringComparison.Ordinal) || item.Text == "MIME");
                        break;
                    }
                }
            }
            if (addFlags) r.Raw(" FLAGS " + FlagList(message) + (items.Any(i => i.Name == "MODSEQ") ? "" : ModSeqItem(message)));
            r.Raw(")");
            await WriteAsync(r).ConfigureAwait(false);
        }
        // As Dovecot: the messages it could still serve are sent (from this session's cache, even when their files are
        // gone), the others skipped, and the client told why with RFC 5530's EXPUNGEISSUED (RFC 2180 4.1.3).
        return gone ? "OK [EXPUNGEISSUED] Some messages were already expunged." : "OK Fetch completed.";
    }

    private void Count(long bytes, bool header)
    {
        if (header)
        {
            _tally.HeaderCount++;
            _tally.HeaderBytes += bytes;
        }
        else
        {
            _tally.BodyCount++;
            _tally.BodyBytes += bytes;
        }
    }

    private async Task<string> StoreAsync(ImapParser p, bool uid)
    {
        p.Space();
        var set = p.SequenceSet();
        p.Space();
        var unchangedSince = await StoreModifierAsync(p).ConfigureAwait(false);
        var what = p.Atom().ToUpperInvariant();
        p.Space();
        var flags = p.FlagList(parenthesesOptional: true);
        p.End();
        var silent = what.EndsWith(".SILENT", StringComparison.Ordinal);
        var mode = silent ? what[..^7] : what;
        if (mode is not ("FLAGS" or "+FLAGS" or "-FLAGS")) throw new ImapSyntaxException("Invalid STORE attribute " + what);
        var (system, keywords) = ParseFlags(flags);
        var indexes = Resolve(set, uid);
        if (_readOnly) return "NO [READ-ONLY] Mailbox is read-only.";
        var modified = new List<uint>();
        foreach (var index in indexes)
        {
            var message = _messages[index];
            var newFlags = mode switch
            {
                "FLAGS" => system,
                "+FLAGS" => message.Flags | system,
                _ => message.Flags & ~system,
            };
            var newKeywords = mode switch
            {
                "FLAGS" => keywords,
                "+FLAGS" => message.Keywords.Concat(keywords.Where(k => !message.Keywords.Contains(k, StringComparer.OrdinalIgnoreCase))).ToList(),
                _ => message.Keywords.Where(k => !keywords.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList(),
            };
            var changed = false;
            if (unchangedSince is not null || newFlags != message.Flags || !newKeywords.SequenceEqual(message.Keywords))
            {
                StoredMessage? updated;
                if (unchangedSince is { } since)
                {
                    // RFC 7162 3.1.3: a message changed since the client's mod-sequence is left alone and reported MODIFIED.
                    (updated, var conflict) = await _folder!.SetFlagsIfUnchangedAsync(message.Uid, since, newFlags, newKeywords, _stopping).ConfigureAwait(false);
                    if (conflict) modified.Add(uid ? message.Uid : (uint)index + 1);
                    if (updated is null || conflict) continue;
                }
                else updated = await _folder!.SetFlagsAsync(message.Uid, newFlags, newKeywords, _stopping).ConfigureAwait(false);
                if (updated is null) continue;
                changed = updated.ModSeq != message.ModSeq;
                if (newFlags.HasFlag(MessageFlags.Deleted) && !message.Flags.HasFlag(MessageFlags.Deleted)) _tally.Deleted++;
                _messages[index] = message = updated;
                var added = updated.Keywords.Where(k => !_keywords.Contains(k)).ToList();
                if (added.Count > 0)
                {
                    foreach (var k in added) _keywords.Add(k);
                    await WriteFlagsAsync().ConfigureAwait(false);
                }
            }
            // RFC 7162 3.1.3: with CONDSTORE, even .SILENT tells the new MODSEQ of what changed.
            if (!silent) await WriteLineAsync(Invariant($"* {index + 1} FETCH ({(uid || _qresync ? $"UID {message.Uid} " : "")}FLAGS {FlagList(message)}{ModSeqItem(message)})")).ConfigureAwait(false);
            else if (_condStore && changed) await WriteLineAsync(Invariant($"* {index + 1} FETCH ({(uid || _qresync ? $"UID {message.Uid} " : "")}MODSEQ ({message.ModSeq}))")).ConfigureAwait(false);
        }
        if (modified.Count > 0) return $"OK [MODIFIED {UidSet(modified)}] Conditional STORE failed.";
        return "OK Store completed.";
    }

    private async Task<string> CopyAsync(ImapParser p, bool uid, bool move)
    {
        p.Space();
        var set = p.SequenceSet();
        p.Space();
        var name = MailboxArgument(p);
        p.End();
        var indexes = Resolve(set, uid);
        if (move && _readOnly) return "NO [READ-ONLY] Mailbox is read-only.";
        if (!_account!.FolderExists(name)) return "NO [TRYCREATE] Mailbox doesn't exist: " + Printable(name);
        var target = _account.GetFolder(name);
        // RFC 9208 4.3: a COPY that would go over the quota stores none of the messages; a MOVE takes no more room.
        if (!move && !await QuotaAllowsAsync(indexes.Sum(i => _messages[i].PhysicalSize)).ConfigureAwait(false)) return OverQuotaResult;
        var sources = new List<uint>();
        var copies = new List<uint>();
        foreach (var index in indexes)
        {
            var message = _messages[index];
            var raw = _contents.Raw(_folder!, message);
            if (raw is null) continue;
            using var copy = new MemoryStream(raw, writable: false);
            var stored = await (move
                ? target.DeliverMovedAsync(copy, message.Flags, message.ReceivedDate, message.Keywords, _stopping)
                : target.DeliverAsync(copy, message.Flags, message.ReceivedDate, message.Keywords, _stopping)).ConfigureAwait(false);
            sources.Add(message.Uid);
            copies.Add(stored.Uid);
        }
        if (sources.Count == 0) return move ? "OK No messages moved." : "OK No messages copied.";
        var validity = target.Name == _folder!.Name ? _uidValidity : (await target.ListMessagesAsync(_stopping).ConfigureAwait(false)).UidValidity;
        var code = Invariant($"[COPYUID {validity} {UidSet(sources)} {UidSet(copies)}]");
        if (!move) return $"OK {code} Copy completed.";
        // RFC 6851 3.3: COPYUID in an untagged OK, then the EXPUNGEs, then the tagged OK.
        await WriteLineAsync($"* OK {code} Moved UIDs.").ConfigureAwait(false);
        await ExpungeAsync(sources).ConfigureAwait(false);
        return "OK Move completed.";
    }

    /// <summary>UIDs as a sequence set with ranges, in the given order (RFC 4315 3: uid-set).</summary>
    private static string UidSet(IReadOnlyList<uint> uids)
    {
        var text = new StringBuilder();
        for (var i = 0; i < uids.Count; i++)
        {
            var start = uids[i];
            while (i + 1 < uids.Count && uids[i + 1] == uids[i] + 1) i++;
            if (text.Length > 0) text.Append(',');
            text.Append(start.ToString(CultureInfo.InvariantCulture));
            if (uids[i] != start) text.Append(':').Append(uids[i].ToString(CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    private async Task<string> SearchAsync(ImapParser p, bool uid, string tag)
    {
        p.Space();
        var charset = Encoding.UTF8;
        HashSet<string>? returns = null;
        if (p.Peek is 'R' or 'r' && new ImapParser(p.Rest()).Atom().Equals("RETURN", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 4731 3: SEARCH RETURN (MIN MAX ALL COUNT) answers with one ESEARCH response; () means ALL.
            p.Atom();
            p.Space();
            returns = Options(p);
            if (returns.Count == 0) returns.Add("ALL");
            if (returns.Any(r => r is not ("MIN" or "MAX" or "ALL" or "COUNT"))) throw new ImapSyntaxException("Unknown SEARCH return option.");
            p.Space();
        }
        if (p.Peek is 'C' or 'c')
        {
            // SEARCH CHARSET x: peek for the word without consuming a key named otherwise (CC).
            var probe = new ImapParser(p.Rest());
            if (probe.Atom().Equals("CHARSET", StringComparison.OrdinalIgnoreCase))
            {
                p.Atom();
                p.Space();
                var name = p.AStringText();
                p.Space();
                if (!name.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) && !name.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase))
                    return "NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset.";
            }
        }
        var keys = new List<ImapSearchKey>();
        do keys.Add(ImapSearchKey.Parse(p, charset));
        while (p.TryChar(' '));
        p.End();
        var modSeqSearch = keys.Any(k => k.UsesModSeq);
        if (modSeqSearch) await EnableCondStoreAsync().ConfigureAwait(false);
        var matching = Matching(keys, sorting: false);
        var found = matching.Select(m => uid ? m.Uid : m.Sequence).ToList();
        var highestFound = matching.Count == 0 ? 0 : matching.Max(m => m.ModSeq);
        if (returns is null)
        {
            await WriteLineAsync("* SEARCH" + string.Concat(found.Select(n => " " + n.ToString(CultureInfo.InvariantCulture)))
                + (modSeqSearch ? SearchModSeqSuffix(esearch: false, highestFound) : "")).ConfigureAwait(false);
            return "OK Search completed.";
        }
        var result = new ImapResponse().Raw("* ESEARCH (TAG ").String(tag).Raw(")" + (uid ? " UID" : ""));
        if (returns.Contains("MIN") && found.Count > 0) result.Raw(" MIN ").Number(found[0]);
        if (returns.Contains("MAX") && found.Count > 0) result.Raw(" MAX ").Number(found[^1]);
        if (returns.Contains("COUNT")) result.Raw(" COUNT ").Number(found.Count);
        if (returns.Contains("ALL") && found.Count > 0) result.Raw(" ALL " + UidSet(found));
        if (modSeqSearch) result.Raw(SearchModSeqSuffix(esearch: true, highestFound));
        await WriteAsync(result).ConfigureAwait(false);
        return "OK Search completed.";
    }
}
