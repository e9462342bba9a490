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

    private async Task<byte[]?> ReadMessageAsync(uint uid)
    {
        await using var stream = _folder!.OpenMessage(uid);
        if (stream is null) return null;
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy, _stopping).ConfigureAwait(false);
        return copy.ToArray();
    }

    private async Task<string> FetchAsync(ImapParser p, bool uid)
    {
        p.Space();
        var set = p.SequenceSet();
        p.Space();
        var items = ImapFetchItem.ParseList(p);
        p.End();
        // RFC 3501 6.4.8: UID FETCH always returns the UID.
        if (uid && !items.Any(i => i.Name == "UID")) items.Insert(0, new ImapFetchItem("UID"));
        var marksSeen = !_readOnly && items.Any(i => i.Name is "RFC822" or "RFC822.TEXT" || (i.IsSection && !i.Peek));
        var gone = false;
        foreach (var index in Resolve(set, uid))
        {
            var message = _messages[index];
            byte[]? raw = null;
            ImapMessage? parsed = null;
            if (items.Any(i => i.Name is not ("FLAGS" or "UID" or "INTERNALDATE" or "RFC822.SIZE")))
            {
                raw = await ReadMessageAsync(message.Uid).ConfigureAwait(false);
                if (raw is null)
                {
                    gone = true; // expunged by someone else; its EXPUNGE comes later
                    continue;
                }
            }
            ImapMessage Parsed() => parsed ??= new ImapMessage(raw!);
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
            if (addFlags) r.Raw(" FLAGS " + FlagList(message));
            r.Raw(")");
            await WriteAsync(r).ConfigureAwait(false);
        }
        return gone ? "NO Some messages were expunged by another session." : "OK Fetch completed.";
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
            if (newFlags != message.Flags || !newKeywords.SequenceEqual(message.Keywords))
            {
                var updated = await _folder!.SetFlagsAsync(message.Uid, newFlags, newKeywords, _stopping).ConfigureAwait(false);
                if (updated is null) continue;
                if (newFlags.HasFlag(MessageFlags.Deleted) && !message.Flags.HasFlag(MessageFlags.Deleted)) _tally.Deleted++;
                _messages[index] = message = updated;
                var added = updated.Keywords.Where(k => !_keywords.Contains(k)).ToList();
                if (added.Count > 0)
                {
                    foreach (var k in added) _keywords.Add(k);
                    await WriteFlagsAsync().ConfigureAwait(false);
                }
            }
            if (!silent) await WriteLineAsync(Invariant($"* {index + 1} FETCH ({(uid ? $"UID {message.Uid} " : "")}FLAGS {FlagList(message)})")).ConfigureAwait(false);
        }
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
        var sources = new List<uint>();
        var copies = new List<uint>();
        foreach (var index in indexes)
        {
            var message = _messages[index];
            var raw = await ReadMessageAsync(message.Uid).ConfigureAwait(false);
            if (raw is null) continue;
            var stored = await target.DeliverAsync(new MemoryStream(raw, writable: false), message.Flags, message.ReceivedDate, message.Keywords, _stopping)
                .ConfigureAwait(false);
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
        var found = Matching(keys, sorting: false).Select(m => uid ? m.Uid : m.Sequence).ToList();
        if (returns is null)
        {
            await WriteLineAsync("* SEARCH" + string.Concat(found.Select(n => " " + n.ToString(CultureInfo.InvariantCulture)))).ConfigureAwait(false);
            return "OK Search completed.";
        }
        var result = new ImapResponse().Raw("* ESEARCH (TAG ").String(tag).Raw(")" + (uid ? " UID" : ""));
        if (returns.Contains("MIN") && found.Count > 0) result.Raw(" MIN ").Number(found[0]);
        if (returns.Contains("MAX") && found.Count > 0) result.Raw(" MAX ").Number(found[^1]);
        if (returns.Contains("COUNT")) result.Raw(" COUNT ").Number(found.Count);
        if (returns.Contains("ALL") && found.Count > 0) result.Raw(" ALL " + UidSet(found));
        await WriteAsync(result).ConfigureAwait(false);
        return "OK Search completed.";
    }
}
