using System.Globalization;
using System.Text;
using MailOps.Engine.Listeners;
using MailOps.Engine.Store;

namespace MailOps.Engine.Imap;

/// <summary>The mailbox commands (RFC 3501 6.3) and the SELECTED state's own view of its folder, kept in step (7.3.1, 7.4.1).</summary>
internal sealed partial class ImapSession
{
    private static readonly string[] SystemFlags = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

    // The SELECTED state: the folder, its messages in sequence-number order, which are \Recent for this session.
    private IMailFolder? _folder;
    private bool _readOnly;
    private uint _uidValidity;
    private uint _uidNext;
    private readonly List<StoredMessage> _messages = [];
    private readonly HashSet<uint> _recent = [];
    private readonly HashSet<string> _keywords = new(StringComparer.OrdinalIgnoreCase);
    private IDisposable? _watch;
    private (long New, long Cur, long UidList) _listedAt; // the folder's change stamp taken before it was last listed
    private DateTime _listedTime;
    private int _changed;
    private readonly SemaphoreSlim _wake = new(0);
    // What other sessions of this process told since the last sync, in order; and whether only a listing will do next
    // (an expunge held back while the client may not hear of it).
    private List<(MailFolderChange Change, bool Own)> _news = [];
    private readonly Lock _newsGate = new();
    private bool _listNext;

    /// <summary>A mailbox name as the client sent it (modified UTF-7, RFC 3501 5.1.3) as the store names it.</summary>
    private static string MailboxName(string wire)
    {
        if (wire.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) return "INBOX";
        return ModifiedUtf7.Decode(wire) ?? throw new ImapSyntaxException("Mailbox name is not valid modified UTF-7.");
    }

    /// <summary>A store name as IMAP sends it.</summary>
    private static string WireName(string name) => name == "INBOX" ? "INBOX" : ModifiedUtf7.Encode(name);

    private string MailboxArgument(ImapParser p) => MailboxName(p.AStringText());

    private async Task<string> SelectAsync(ImapParser p, bool readOnly)
    {
        p.Space();
        var name = MailboxArgument(p);
        var modSeqParameters = SelectParameters(p);
        // RFC 7162 3.2.11: the mailbox this SELECT replaces is reported closed.
        if (_folder is not null) await WriteLineAsync("* OK [CLOSED] Previous mailbox closed.").ConfigureAwait(false);
        Deselect();
        if (!_account!.FolderExists(name)) return "NO [NONEXISTENT] Mailbox doesn't exist: " + Printable(name);
        var folder = _account.GetFolder(name);
        // Watched before it is listed: what other sessions change meanwhile is told after, not lost.
        _watch = folder.Watch(change =>
        {
            // This session's own STORE (or FETCH that set \Seen) is in its state already. Its appends and expunges still
            // count (APPEND wants EXISTS), as do every other session's changes: kept in order for the next sync.
            if (change.Kind == MailFolderChangeKind.FlagsChanged && Acting.Value == this) return;
            lock (_newsGate) _news.Add((change, Acting.Value == this));
            Interlocked.Exchange(ref _changed, 1);
            _wake.Release();
        });
        (_listedAt, _listedTime) = (folder.ChangeStamp(), DateTime.UtcNow);
        var snapshot = await folder.ListMessagesAsync(_stopping).ConfigureAwait(false);
        _folder = folder;
        _readOnly = readOnly;
        _uidValidity = snapshot.UidValidity;
        _uidNext = snapshot.UidNext;
        _messages.AddRange(snapshot.Messages);
        // Maildir's new/ holds the messages no mail program has seen yet: those are \Recent (RFC 3501 2.3.2).
        foreach (var m in _messages.Where(IsInNew)) _recent.Add(m.Uid);
        foreach (var k in _messages.SelectMany(m => m.Keywords)) _keywords.Add(k);
        await WriteFlagsAsync().ConfigureAwait(false);
        await WriteLineAsync($"* OK [PERMANENTFLAGS {(readOnly ? "()" : "(" + string.Join(' ', SystemFlags.Concat(_keywords.Order(StringComparer.Ordinal))) + " \\*)")}] Flags permitted.").ConfigureAwait(false);
        await WriteLineAsync(Invariant($"* {_messages.Count} EXISTS")).ConfigureAwait(false);
        await WriteLineAsync(Invariant($"* {_recent.Count} RECENT")).ConfigureAwait(false);
        var unseen = _messages.FindIndex(m => !m.Flags.HasFlag(MessageFlags.Seen));
        if (unseen >= 0) await WriteLineAsync(Invariant($"* OK [UNSEEN {unseen + 1}] First unseen.")).ConfigureAwait(false);
        await WriteLineAsync(Invariant($"* OK [UIDVALIDITY {_uidValidity}] UIDs valid")).ConfigureAwait(false);
        await WriteLineAsync(Invariant($"* OK [UIDNEXT {_uidNext}] Predicted next UID")).ConfigureAwait(false);
        await SelectedModSeqAsync(snapshot, modSeqParameters).ConfigureAwait(false);
        return readOnly ? "OK [READ-ONLY] Examine completed." : "OK [READ-WRITE] Select completed.";
    }

    private static bool IsInNew(StoredMessage m) => Path.GetFileName(Path.GetDirectoryName(m.Path)) == "new";

    private Task WriteFlagsAsync() =>
        WriteLineAsync("* FLAGS (" + string.Join(' ', SystemFlags.Concat(_keywords.Order(StringComparer.Ordinal))) + ")");

    private void Deselect()
    {
        _watch?.Dispose();
        _watch = null;
        _folder = null;
        _messages.Clear();
        _recent.Clear();
        _keywords.Clear();
        lock (_newsGate) _news = [];
        _listNext = false;
        Interlocked.Exchange(ref _changed, 0);
    }

    /// <summary>
    /// Tells the client what changed in the selected folder since it last heard (RFC 3501 7.3.1 EXISTS, 7.3.2 RECENT, 7.4.1
    /// EXPUNGE, 7.4.2 FETCH FLAGS): when another session of this process said so, or always when <paramref name="force"/>
    /// (NOOP, CHECK, IDLE), which also finds what other programs did. Expunges wait while <paramref name="allowExpunge"/> is false.
    /// </summary>
    private async Task SyncAsync(bool allowExpunge, bool force)
    {
        if (_folder is null) return;
        if (Interlocked.Exchange(ref _changed, 0) == 0 && !force) return;
        List<(MailFolderChange Change, bool Own)> news;
        lock (_newsGate) (news, _news) = (_news, []);
        // What other sessions of this process did, as they told it, without listing the folder (as Dovecot's sessions
        // read its index log); changes by other programs are found by the forced syncs (NOOP, IDLE, SELECT), which list.
        if (!force && !_listNext && await TryTakeOverAsync(news, allowExpunge).ConfigureAwait(false)) return;
        _listNext = false;
        // Everything told before this point is on disk, so the listing sees it.
        (_listedAt, _listedTime) = (_folder.ChangeStamp(), DateTime.UtcNow);
        var snapshot = await _folder.ListMessagesAsync(_stopping).ConfigureAwait(false);
        var now = snapshot.Messages.ToDictionary(m => m.Uid);
        var delayed = false;
        if (allowExpunge)
        {
            for (var i = _messages.Count - 1; i >= 0; i--)
            {
                var uid = _messages[i].Uid;
                if (now.ContainsKey(uid)) continue;
                _recent.Remove(uid);
                _messages.RemoveAt(i);
                await WriteExpungedAsync(i, uid).ConfigureAwait(false);
            }
            await FlushVanishedAsync().ConfigureAwait(false);
        }
        else if (_messages.Any(m => !now.ContainsKey(m.Uid)))
        {
            delayed = true;
            _listNext = true;
            Interlocked.Exchange(ref _changed, 1); // told at the next command that allows it
        }
        var known = _messages.Count == 0 ? 0 : _messages[^1].Uid;
        var added = snapshot.Messages.Where(m => m.Uid > known).ToList();
        var newKeywords = snapshot.Messages.SelectMany(m => m.Keywords).Where(k => !_keywords.Contains(k)).Distinct().ToList();
        if (newKeywords.Count > 0)
        {
            foreach (var k in newKeywords) _keywords.Add(k);
            await WriteFlagsAsync().ConfigureAwait(false);
        }
        for (var i = 0; i < _messages.Count; i++)
        {
            if (!now.TryGetValue(_messages[i].Uid, out var current)) continue;
            var before = _messages[i];
            _messages[i] = current;
            if (FlagsChanged(before, current))
                await WriteLineAsync(Invariant($"* {i + 1} FETCH (UID {current.Uid} FLAGS {FlagList(current)}{ModSeqItem(current)})")).ConfigureAwait(false);
        }
        if (added.Count > 0)
        {
            _messages.AddRange(added);
            foreach (var m in added) _recent.Add(m.Uid);
            await WriteLineAsync(Invariant($"* {_messages.Count} EXISTS")).ConfigureAwait(false);
            await WriteLineAsync(Invariant($"* {_recent.Count} RECENT")).ConfigureAwait(false);
        }
        _uidNext = Math.Max(_uidNext, snapshot.UidNext);
        if (!delayed) _syncedModSeq = Math.Max(_syncedModSeq, snapshot.HighestModSeq);
    }

    /// <summary>
    /// Applies what other sessions told (<paramref name="news"/>, in order) to this session's view and tells the client, as
    /// <see cref="SyncAsync"/> would after a listing; false, having applied part or none, when a listing is needed instead:
    /// a change without its messages (a delivery from the queue, numbered by the next reader), new UIDs that do not follow
    /// on from UIDNEXT (another append is not told yet), an expunge the client may not hear of now, or, for a QRESYNC
    /// client, this session's own append or expunge. The mod-sequence reported as HIGHESTMODSEQ moves only with listings:
    /// changes told out of order must not let it run ahead, and after its own EXPUNGE (VANISHED) or APPEND a QRESYNC client
    /// is owed the new one (RFC 7162 3.2.10).
    /// </summary>
    private async Task<bool> TryTakeOverAsync(List<(MailFolderChange Change, bool Own)> news, bool allowExpunge)
    {
        foreach (var (change, own) in news)
        {
            if (own && _qresync) return false;
            switch (change.Kind)
            {
                case MailFolderChangeKind.Expunged:
                    if (!allowExpunge) return false;
                    foreach (var uid in change.Uids)
                    {
                        var index = IndexOfUid(uid);
                        if (index < 0) continue;
                        _recent.Remove(uid);
                        _messages.RemoveAt(index);
                        await WriteExpungedAsync(index, uid).ConfigureAwait(false);
                    }
                    await FlushVanishedAsync().ConfigureAwait(false);
                    break;
                case MailFolderChangeKind.FlagsChanged when change.Messages is { } messages && messages.Count == change.Uids.Count:
                    foreach (var current in messages)
                    {
                        var index = IndexOfUid(current.Uid);
                        if (index < 0 || _messages[index].ModSeq >= current.ModSeq) continue; // gone, or known as it is or later
                        var before = _messages[index];
                        _messages[index] = current;
                        await WriteNewKeywordsAsync(current.Keywords).ConfigureAwait(false);
                        if (FlagsChanged(before, current))
                            await WriteLineAsync(Invariant($"* {index + 1} FETCH (UID {current.Uid} FLAGS {FlagList(current)}{ModSeqItem(current)})")).ConfigureAwait(false);
                    }
                    break;
                case MailFolderChangeKind.Appended when change.Messages is { } messages && messages.Count == change.Uids.Count:
                    // UIDs below UIDNEXT are known already (a listing saw them) or were let go; new ones must follow on.
                    var added = messages.Where(m => m.Uid >= _uidNext).OrderBy(m => m.Uid).ToList();
                    if (added.Count == 0) break;
                    for (var i = 0; i < added.Count; i++)
                    {
                        if (added[i].Uid != _uidNext + (uint)i) return false;
                    }
                    foreach (var m in added)
                    {
                        _messages.Add(m);
                        _recent.Add(m.Uid);
                        await WriteNewKeywordsAsync(m.Keywords).ConfigureAwait(false);
                    }
                    _uidNext = added[^1].Uid + 1;
                    await WriteLineAsync(Invariant($"* {_messages.Count} EXISTS")).ConfigureAwait(false);
                    await WriteLineAsync(Invariant($"* {_recent.Count} RECENT")).ConfigureAwait(false);
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    private int IndexOfUid(uint uid)
    {
        int lo = 0, hi = _messages.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var at = _messages[mid].Uid;
            if (at == uid) return mid;
            if (at < uid) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    private async Task WriteNewKeywordsAsync(IReadOnlyList<string> keywords)
    {
        var added = false;
        foreach (var k in keywords) added |= _keywords.Add(k);
        if (added) await WriteFlagsAsync().ConfigureAwait(false);
    }

    /// <summary>A message's flags as a FLAGS list: system flags, keywords, and \Recent when this session has it so.</summary>
    private string FlagList(StoredMessage m)
    {
        var flags = new List<string>();
        if (m.Flags.HasFlag(MessageFlags.Answered)) flags.Add("\\Answered");
        if (m.Flags.HasFlag(MessageFlags.Flagged)) flags.Add("\\Flagged");
        if (m.Flags.HasFlag(MessageFlags.Deleted)) flags.Add("\\Deleted");
        if (m.Flags.HasFlag(MessageFlags.Seen)) flags.Add("\\Seen");
        if (m.Flags.HasFlag(MessageFlags.Draft)) flags.Add("\\Draft");
        if (_recent.Contains(m.Uid)) flags.Add("\\Recent");
        flags.AddRange(m.Keywords);
        return "(" + string.Join(' ', flags) + ")";
    }

    /// <summary>System flags and keywords from a flag list; \Recent cannot be set (RFC 3501 2.3.2) and is left out.</summary>
    private static (MessageFlags Flags, List<string> Keywords) ParseFlags(IEnumerable<string> flags)
    {
        var system = MessageFlags.None;
        var keywords = new List<string>();
        foreach (var flag in flags)
        {
            switch (flag.ToUpperInvariant())
            {
                case "\\SEEN": system |= MessageFlags.Seen; break;
                case "\\ANSWERED": system |= MessageFlags.Answered; break;
                case "\\FLAGGED": system |= MessageFlags.Flagged; break;
                case "\\DELETED": system |= MessageFlags.Deleted; break;
                case "\\DRAFT": system |= MessageFlags.Draft; break;
                case "\\RECENT": break;
                default:
                    if (flag.StartsWith('\\')) throw new ImapSyntaxException("Invalid system flag " + flag);
                    if (!keywords.Contains(flag, StringComparer.OrdinalIgnoreCase)) keywords.Add(flag);
                    break;
            }
        }
        return (system, keywords);
    }

    // LIST (RFC 3501 6.3.8) with LIST-EXTENDED (RFC 5258) selection and return options, LIST-STATUS (RFC 5819) and
    // SPECIAL-USE (RFC 6154); LSUB (RFC 3501 6.3.9) is LIST of the subscriptions without extensions.
    private async Task<string> ListAsync(ImapParser p, bool subscribedOnly)
    {
        var command = subscribedOnly ? "LSUB" : "LIST";
        p.Space();
        var selection = new HashSet<string>(StringComparer.Ordinal);
        if (!subscribedOnly && p.Peek == '(') selection = Options(p);
        if (selection.Count > 0 || p.Peek == ' ') p.TryChar(' ');
        var reference = Encoding.UTF8.GetString(p.AString());
        p.Space();
        var patterns = new List<string>();
        if (!subscribedOnly && p.TryChar('('))
        {
            do patterns.Add(p.ListMailbox());
            while (p.TryChar(' '));
            p.Expect(')');
        }
        else patterns.Add(p.ListMailbox());
        var returns = new HashSet<string>(StringComparer.Ordinal);
        var statusItems = new List<string>();
        if (!subscribedOnly && p.TryChar(' '))
        {
            if (!p.Atom().Equals("RETURN", StringComparison.OrdinalIgnoreCase)) throw new ImapSyntaxException("Expected RETURN.");
            p.Space();
            p.Expect('(');
            while (!p.TryChar(')'))
            {
                p.TryChar(' ');
                var option = p.Atom().ToUpperInvariant();
                returns.Add(option);
                if (option == "STATUS")
                {
                    p.Space();
                    statusItems = StatusItems(p);
                }
            }
        }
        p.End();
        foreach (var option in selection)
        {
            if (option is not ("SUBSCRIBED" or "SPECIAL-USE" or "REMOTE" or "RECURSIVEMATCH")) throw new ImapSyntaxException("Unknown LIST selection option " + option);
        }
        if (selection.Contains("RECURSIVEMATCH") && selection.Count == 1 + (selection.Contains("REMOTE") ? 1 : 0))
            throw new ImapSyntaxException("RECURSIVEMATCH needs another selection option.");
        foreach (var option in returns)
        {
            if (option is not ("SUBSCRIBED" or "CHILDREN" or "SPECIAL-USE" or "STATUS")) throw new ImapSyntaxException("Unknown LIST return option " + option);
        }
        var extended = selection.Count > 0 || returns.Count > 0 || patterns.Count > 1;

        if (patterns is [""])
        {
            // RFC 3501 6.3.8: an empty pattern asks for the hierarchy delimiter and the root.
            await WriteLineAsync($"* {command} (\\Noselect) \".\" \"\"").ConfigureAwait(false);
            return $"OK {command} completed.";
        }
        var folders = _account!.ListFolders().Select(WireName).ToList();
        var existing = new HashSet<string>(folders, StringComparer.Ordinal);
        var subscribed = new HashSet<string>(_account.ListSubscriptions().Select(s => Maildir.IsInbox(s) ? "INBOX" : ModifiedUtf7.Encode(s)), StringComparer.Ordinal);
        var onlySubscribed = subscribedOnly || selection.Contains("SUBSCRIBED");
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in onlySubscribed ? subscribed : existing)
        {
            names.Add(name);
            // A level that is not there itself but has folders below it is listed too (RFC 3501 6.3.8, RFC 5258 3).
            if (!extended || selection.Contains("RECURSIVEMATCH"))
                for (var dot = name.IndexOf('.'); dot > 0; dot = name.IndexOf('.', dot + 1)) names.Add(name[..dot]);
        }
        var fulls = patterns.Select(pattern => reference.Length == 0 || pattern.StartsWith('.') || reference.EndsWith('.') ? reference + pattern : reference + "." + pattern).ToList();
        foreach (var name in names.OrderBy(n => n == "INBOX" ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal))
        {
            if (!fulls.Any(f => Matches(f, name))) continue;
            var exists = existing.Contains(name);
            var attributes = new List<string>();
            string? childInfo = null;
            if (onlySubscribed && !subscribed.Contains(name))
            {
                if (subscribedOnly) attributes.Add("\\Noselect");
                else if (selection.Contains("RECURSIVEMATCH")) childInfo = " (\"CHILDINFO\" (\"SUBSCRIBED\"))";
                else continue;
            }
            if (!exists)
            {
                if (extended) attributes.Add("\\NonExistent");
                else if (!attributes.Contains("\\Noselect")) attributes.Add("\\Noselect");
            }
            if (!subscribedOnly)
            {
                attributes.Add(folders.Any(f => f.StartsWith(name + ".", StringComparison.Ordinal)) ? "\\HasChildren" : "\\HasNoChildren");
                if ((onlySubscribed || returns.Contains("SUBSCRIBED")) && subscribed.Contains(name)) attributes.Add("\\Subscribed");
                if (SpecialUse(name) is { } use) attributes.Add(use);
            }
            if (selection.Contains("SPECIAL-USE") && SpecialUse(name) is null) continue;
            if (childInfo is not null && attributes.Contains("\\Subscribed")) childInfo = null;
            await WriteAsync(new ImapResponse().Raw($"* {command} ({string.Join(' ', attributes)}) \".\" ").String(name).Raw(childInfo ?? "")).ConfigureAwait(false);
            if (statusItems.Count > 0 && exists) await WriteStatusAsync(MailboxName(name), statusItems).ConfigureAwait(false);
        }
        return $"OK {command} completed.";
    }

    private static HashSet<string> Options(ImapParser p)
    {
        var options = new HashSet<string>(StringComparer.Ordinal);
        p.Expect('(');
        while (!p.TryChar(')'))
        {
            p.TryChar(' ');
            options.Add(p.Atom().ToUpperInvariant());
        }
        return options;
    }

    private string? SpecialUse(string name) =>
        _options.SpecialUseFolders.Contains(name, StringComparer.Ordinal) ? "\\" + name : null;

    /// <summary>RFC 3501 6.3.8: "*" matches anything, "%" anything but the hierarchy delimiter; INBOX in any case.</summary>
    internal static bool Matches(string pattern, string name)
    {
        if (name == "INBOX" && pattern.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) return true;
        if (name == "INBOX" && pattern.StartsWith("INBOX", StringComparison.OrdinalIgnoreCase)) pattern = "INBOX" + pattern[5..];
        return Match(pattern, 0, name, 0);
    }

    private static bool Match(string pattern, int pi, string name, int ni)
    {
        while (pi < pattern.Length)
        {
            var c = pattern[pi];
            if (c is '*' or '%')
            {
                for (var k = ni; k <= name.Length; k++)
                {
                    if (Match(pattern, pi + 1, name, k)) return true;
                    if (k < name.Length && c == '%' && name[k] == '.') return false;
                }
                return false;
            }
            if (ni >= name.Length || name[ni] != c) return false;
            pi++;
            ni++;
        }
        return ni == name.Length;
    }

    private async Task<string> StatusAsync(ImapParser p)
    {
        p.Space();
        var name = MailboxArgument(p);
        p.Space();
        var items = StatusItems(p);
        p.End();
        if (!_account!.FolderExists(name)) return "NO [NONEXISTENT] Mailbox doesn't exist: " + Printable(name);
        await WriteStatusAsync(name, items).ConfigureAwait(false);
        return "OK Status completed.";
    }

    private static List<string> StatusItems(ImapParser p)
    {
        p.Expect('(');
        var items = new List<string>();
        do items.Add(p.Atom().ToUpperInvariant());
        while (p.TryChar(' '));
        p.Expect(')');
        if (items.Any(i => i is not ("MESSAGES" or "RECENT" or "UIDNEXT" or "UIDVALIDITY" or "UNSEEN" or "HIGHESTMODSEQ" or DeletedStorageItem))) throw new ImapSyntaxException("Invalid status item.");
        return items;
    }

    private async Task WriteStatusAsync(string name, IReadOnlyList<string> items)
    {
        var snapshot = await _account!.GetFolder(name).ListMessagesAsync(_stopping).ConfigureAwait(false);
        await StatusModSeqAsync(items).ConfigureAwait(false);
        var values = items.Select(item => item + " " + (item switch
        {
            "HIGHESTMODSEQ" => (long)snapshot.HighestModSeq,
            "MESSAGES" => snapshot.Messages.Count,
            "RECENT" => snapshot.Messages.Count(IsInNew),
            "UIDNEXT" => snapshot.UidNext,
            "UIDVALIDITY" => snapshot.UidValidity,
            DeletedStorageItem => DeletedStorage(snapshot),
            _ => (long)snapshot.Messages.Count(m => !m.Flags.HasFlag(MessageFlags.Seen)),
        }).ToString(CultureInfo.InvariantCulture));
        await WriteAsync(new ImapResponse().Raw("* STATUS ").String(WireName(name)).Raw(" (" + string.Join(' ', values) + ")")).ConfigureAwait(false);
    }

    private async Task<string> CreateAsync(ImapParser p)
    {
        p.Space();
        var name = MailboxArgument(p).TrimEnd('.'); // RFC 3501 6.3.3: a trailing delimiter only says more levels will follow
        p.End();
        if (name.Equals("INBOX", StringComparison.OrdinalIgnoreCase) || _account!.FolderExists(name)) return "NO [ALREADYEXISTS] Mailbox already exists";
        try
        {
            await _account.CreateFolderAsync(name, subscribe: false, _stopping).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return "NO [CANNOT] Invalid mailbox name.";
        }
        return "OK Create completed.";
    }

    private async Task<string> DeleteAsync(ImapParser p)
    {
        p.Space();
        var name = MailboxArgument(p);
        p.End();
        if (name == "INBOX") return "NO [CANNOT] INBOX can't be deleted.";
        if (!_account!.FolderExists(name)) return "NO [NONEXISTENT] Mailbox doesn't exist: " + Printable(name);
        if (_folder?.Name == name) Deselect();
        await _account.DeleteFolderAsync(name, _stopping).ConfigureAwait(false);
        return "OK Delete completed.";
    }

    private async Task<string> RenameAsync(ImapParser p)
    {
        p.Space();
        var from = MailboxArgument(p);
        p.Space();
        var to = MailboxArgument(p).TrimEnd('.');
        p.End();
        if (from == "INBOX") return await RenameInboxAsync(to).ConfigureAwait(false);
        if (!_account!.FolderExists(from)) return "NO [NONEXISTENT] Mailbox doesn't exist: " + Printable(from);
        if (to.Equals("INBOX", StringComparison.OrdinalIgnoreCase) || _account.FolderExists(to)) return "NO [ALREADYEXISTS] Target mailbox already exists";
        if (_folder is not null && (_folder.Name == from || _folder.Name.StartsWith(from + ".", StringComparison.Ordinal))) Deselect();
        try
        {
            await _account.RenameFolderAsync(from, to, _stopping).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return "NO [CANNOT] Invalid mailbox name.";
        }
        return "OK Rename completed.";
    }

    // RFC 3501 6.3.5: renaming INBOX moves its messages into a new folder of that name and leaves INBOX, empty, in place.
    private async Task<string> RenameInboxAsync(string to)
    {
        if (to.Equals("INBOX", StringComparison.OrdinalIgnoreCase) || _account!.FolderExists(to)) return "NO [ALREADYEXISTS] Target mailbox already exists";
        IMailFolder target;
        try
        {
            target = await _account.CreateFolderAsync(to, subscribe: false, _stopping).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return "NO [CANNOT] Invalid mailbox name.";
        }
        var inbox = _account.Inbox;
        var moved = new List<uint>();
        foreach (var message in (await inbox.ListMessagesAsync(_stopping).ConfigureAwait(false)).Messages)
        {
            await using var content = inbox.OpenMessage(message);
            if (content is null) continue;
            // Moved, not copied: no more room taken, so not refused for the quota.
            await target.DeliverMovedAsync(content, message.Flags, message.ReceivedDate, message.Keywords, _stopping).ConfigureAwait(false);
            moved.Add(message.Uid);
        }
        await inbox.ExpungeAsync(moved, _stopping).ConfigureAwait(false);
        return "OK Rename completed.";
    }

    private async Task<string> SubscribeAsync(ImapParser p, bool subscribe)
    {
        p.Space();
        var name = MailboxArgument(p);
        p.End();
        try
        {
            if (subscribe) await _account!.SubscribeAsync(name, _stopping).ConfigureAwait(false);
            else await _account!.UnsubscribeAsync(name, _stopping).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return "NO [CANNOT] Invalid mailbox name.";
        }
        return subscribe ? "OK Subscribe completed." : "OK Unsubscribe completed.";
    }

    private async Task<string> AppendAsync(ImapParser p)
    {
        p.Space();
        var name = MailboxArgument(p);
        p.Space();
        var flags = new List<string>();
        if (p.Peek == '(')
        {
            flags = p.FlagList();
            p.Space();
        }
        DateTimeOffset? date = null;
        if (p.Peek == '"')
        {
            date = p.DateTime();
            p.Space();
        }
        var message = p.MessageLiteral();
        p.End();
        var (system, keywords) = ParseFlags(flags);
        if (!_account!.FolderExists(name)) return "NO [TRYCREATE] Mailbox doesn't exist: " + Printable(name);
        var folder = _account.GetFolder(name);
        var stored = await folder.DeliverAsync(new MemoryStream(message, writable: false), system, date, keywords, _stopping).ConfigureAwait(false);
        var validity = _folder?.Name == folder.Name ? _uidValidity : (await folder.ListMessagesAsync(_stopping).ConfigureAwait(false)).UidValidity;
        return Invariant($"OK [APPENDUID {validity} {stored.Uid}] Append completed.");
    }

    private async Task<string> CheckAsync(ImapParser p)
    {
        p.End();
        await SyncAsync(allowExpunge: true, force: true).ConfigureAwait(false);
        return "OK Check completed.";
    }

    private async Task<string> CloseAsync(ImapParser p, bool expunge)
    {
        p.End();
        // RFC 3501 6.4.2: CLOSE removes \Deleted messages silently, unless the folder is read-only.
        if (expunge && !_readOnly)
        {
            var doomed = _messages.Where(m => m.Flags.HasFlag(MessageFlags.Deleted)).Select(m => m.Uid).ToList();
            if (doomed.Count > 0) _tally.Expunged += (await _folder!.ExpungeAsync(doomed, _stopping).ConfigureAwait(false)).Count;
        }
        Deselect();
        return expunge ? "OK Close completed." : "OK Unselect completed.";
    }

    private async Task<string> ExpungeCommandAsync(ImapParser p, bool uid)
    {
        ImapSequenceSet? set = null;
        if (uid)
        {
            // RFC 4315 2.1: UID EXPUNGE removes only the \Deleted messages among these UIDs.
            p.Space();
            set = p.SequenceSet();
        }
        p.End();
        if (_readOnly) return "NO [READ-ONLY] Mailbox is read-only.";
        var largest = _messages.Count == 0 ? 0 : _messages[^1].Uid;
        var doomed = _messages.Where(m => m.Flags.HasFlag(MessageFlags.Deleted) && (set is null || set.Contains(m.Uid, largest))).Select(m => m.Uid).ToList();
        await ExpungeAsync(doomed).ConfigureAwait(false);
        return "OK Expunge completed.";
    }

    /// <summary>Removes <paramref name="uids"/> from the folder and tells the client each sequence number that went.</summary>
    private async Task ExpungeAsync(IReadOnlyCollection<uint> uids)
    {
        if (uids.Count == 0) return;
        var removed = (await _folder!.ExpungeAsync(uids, _stopping).ConfigureAwait(false)).ToHashSet();
        _tally.Expunged += removed.Count;
        for (var i = _messages.Count - 1; i >= 0; i--)
        {
            if (!removed.Contains(_messages[i].Uid)) continue;
            var uid = _messages[i].Uid;
            _recent.Remove(uid);
            _messages.RemoveAt(i);
            await WriteExpungedAsync(i, uid).ConfigureAwait(false);
        }
        await FlushVanishedAsync().ConfigureAwait(false);
    }

    // RFC 2177: updates as they happen until DONE; another program's changes are looked for now and then.
    private async Task<string> IdleAsync(ImapParser p, string tag)
    {
        p.End();
        _ = tag;
        await WriteLineAsync("+ idling").ConfigureAwait(false);
        await SyncAsync(allowExpunge: true, force: _folder is not null).ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping, _aborting);
        deadline.CancelAfter(_options.IdleTimeout);
        var read = _input.ReadLineAsync(ImapCommandReader.LineLimit, deadline.Token).AsTask();
        while (true)
        {
            using var waitStop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            var wake = _wake.WaitAsync(_options.IdlePollInterval, waitStop.Token);
            var first = await Task.WhenAny(read, wake).ConfigureAwait(false);
            if (first == read)
            {
                await waitStop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await wake.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The wait was only there to wake IDLE.
                }
                LineEnd end;
                byte[] line;
                try
                {
                    (end, line) = await read.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await WriteLineAsync(_stopping.IsCancellationRequested ? "* BYE Server shutting down." : "* BYE Disconnected for inactivity.").ConfigureAwait(false);
                    await FlushAsync().ConfigureAwait(false);
                    throw new EndOfStreamException("Inactivity in IDLE");
                }
                if (end == LineEnd.EndOfStream) throw new EndOfStreamException("Connection closed");
                _tally.In += line.Length + 2;
                return Encoding.ASCII.GetString(line).Equals("DONE", StringComparison.OrdinalIgnoreCase) ? "OK Idle completed." : "BAD Expected DONE.";
            }
            bool woken;
            try
            {
                woken = await wake.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                continue; // the read ends too, and says why
            }
            // The poll lists the folder only when its stamp moved: thousands of idle sessions cost a few stat calls each.
            await SyncAsync(allowExpunge: true, force: !woken && _folder is not null && MayHaveChanged(_folder)).ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// False only when the folder's stamp is what it was at the last listing and that listing came more than 2 s after the
    /// stamp's newest time: a change in the same clock tick as an earlier one leaves the time alone (Dovecot's maildir sync
    /// also trusts a directory's mtime only once it is a second old).
    /// </summary>
    private bool MayHaveChanged(IMailFolder folder)
    {
        if (folder.ChangeStamp() != _listedAt) return true;
        var newest = Math.Max(_listedAt.New, Math.Max(_listedAt.Cur, _listedAt.UidList));
        return _listedTime.Ticks - newest < TimeSpan.TicksPerSecond * 2;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
