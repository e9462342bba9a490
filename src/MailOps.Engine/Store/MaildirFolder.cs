using System.Globalization;
using MailOps.Engine.Platform;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace MailOps.Engine.Store;

/// <summary>
/// One Maildir++ folder: its <c>tmp/ new/ cur/</c> and its <c>dovecot-uidlist</c>. Delivery follows the Maildir rule
/// and Dovecot's order (maildir-save.c): write and fsync the file in tmp/, take the uidlist lock, move the file to
/// new/ (cur/ when it has flags), fsync that directory, append the UID to the uidlist (fsynced), release the lock.
/// Copies arriving at once for one folder share the lock and its fsyncs (<see cref="FolderCommitGroup"/>). Mail from the
/// queue takes the shorter path of Postfix's local(8) (<see cref="DeliverNewAsync"/>): no UID until a reader numbers it.
/// </summary>
public sealed class MaildirFolder : IMailFolder
{
    private readonly Maildir _maildir;

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The folder's directory.</summary>
    public string Path { get; }

    internal MaildirFolder(Maildir maildir, string name, string path)
    {
        _maildir = maildir;
        Name = Maildir.IsInbox(name) ? "INBOX" : name;
        Path = path;
    }

    private string UidListPath => System.IO.Path.Combine(Path, UidList.FileName);

    /// <inheritdoc />
    public Task<StoredMessage> DeliverAsync(Stream message, MessageFlags flags = MessageFlags.None, DateTimeOffset? receivedDate = null,
        IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default) =>
        StoreAsync(message, flags, receivedDate, keywords, enforceQuota: true, cancellationToken);

    /// <inheritdoc />
    public Task<StoredMessage> DeliverMovedAsync(Stream message, MessageFlags flags, DateTimeOffset? receivedDate, IReadOnlyCollection<string>? keywords,
        CancellationToken cancellationToken = default) =>
        StoreAsync(message, flags, receivedDate, keywords, enforceQuota: false, cancellationToken);

    private async Task<StoredMessage> StoreAsync(Stream message, MessageFlags flags, DateTimeOffset? receivedDate, IReadOnlyCollection<string>? keywords,
        bool enforceQuota, CancellationToken cancellationToken)
    {
        EnsureExists();
        var options = _maildir.Options;
        var letters = keywords is { Count: > 0 }
            ? await MaildirKeywords.LettersForAsync(Path, keywords, options.HostName, options.Owner, cancellationToken).ConfigureAwait(false)
            : "";
        var (tempPath, unique, size, virtualSize) = await WriteTemporaryAsync(message, receivedDate, enforceQuota, cancellationToken).ConfigureAwait(false);
        var baseName = MaildirFileName.WithSizes(unique, size, virtualSize);
        var plain = flags == MessageFlags.None && letters.Length == 0;
        var finalPath = System.IO.Path.Combine(Path, plain ? "new" : "cur", plain ? baseName : MaildirFileName.WithInfo(baseName, flags, letters));
        var copy = new PendingCopy(this, tempPath, finalPath, baseName, cancellationToken);
        var uid = await FolderCommitGroup.EnterAsync(copy).ConfigureAwait(false);
        var named = letters.Length == 0 ? [] : MaildirKeywords.Read(Path);
        var stored = new StoredMessage(uid, virtualSize, size, flags, letters.Select(l => named.GetValueOrDefault(l)).OfType<string>().ToList(),
            File.GetLastWriteTimeUtc(finalPath), finalPath) { ModSeq = copy.ModSeq };
        // With its mod-sequence, the watching sessions take the message over as it is; without, they list the folder.
        MailFolderSessions.Notify(Path, new MailFolderChange(MailFolderChangeKind.Appended, [uid], copy.ModSeq > 0 ? [stored] : null));
        await _maildir.Quota.AddAsync(size, 1, CancellationToken.None).ConfigureAwait(false);
        return stored;
    }

    /// <inheritdoc />
    public async Task DeliverNewAsync(Stream message, CancellationToken cancellationToken = default)
    {
        EnsureExists();
        var (tempPath, unique, size, virtualSize) = await WriteTemporaryAsync(message, null, enforceQuota: true, cancellationToken).ConfigureAwait(false);
        var newDirectory = System.IO.Path.Combine(Path, "new");
        try
        {
            File.Move(tempPath, System.IO.Path.Combine(newDirectory, MaildirFileName.WithSizes(unique, size, virtualSize)), overwrite: false);
        }
        catch (Exception e)
        {
            File.Delete(tempPath);
            throw Failed(e);
        }
        try
        {
            // Why: the caller (the queue) forgets its copy once this returns; the entry must survive a power loss.
            // Shared with the deliveries into this folder at the same time (one fsync of new/ for them all).
            await DirectorySyncGroup.For(newDirectory).SyncAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Failed(e);
        }
        MailFolderSessions.Notify(Path, new MailFolderChange(MailFolderChangeKind.Appended, []));
        await _maildir.Quota.AddAsync(size, 1, CancellationToken.None).ConfigureAwait(false);
    }

    // Writes the message into tmp/ under a new unique name and fsyncs it (the first half of every delivery; the
    // Maildir rule: a file is complete on disk before it is renamed into new/ or cur/).
    private async Task<(string TempPath, string Unique, long Size, long VirtualSize)> WriteTemporaryAsync(
        Stream message, DateTimeOffset? receivedDate, bool enforceQuota, CancellationToken cancellationToken)
    {
        var unique = MaildirFileName.NewUniqueName(_maildir.EscapedHostName);
        var tempPath = System.IO.Path.Combine(Path, "tmp", unique);
        long size, virtualSize;
        try
        {
            await using (var file = new FileStream(tempPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                // No buffer: LfMessageCopy writes 64 KiB blocks, each one write(2).
                BufferSize = 0,
            }))
            {
                (size, virtualSize) = await LfMessageCopy.CopyAsync(message, file, cancellationToken).ConfigureAwait(false);
                // Why: the rename into new/ must not publish a file whose data a crash has not yet written.
                file.Flush(flushToDisk: true);
            }
            _maildir.GiveToOwner(tempPath);
            if (receivedDate is { } date) File.SetLastWriteTimeUtc(tempPath, date.UtcDateTime);
            if (_maildir.Options.BeforeMoveToNew is { } hook) await hook(tempPath, cancellationToken).ConfigureAwait(false);
            // The size is known once the file is written (S=, LF line endings), as Dovecot's quota checks it before the commit.
            if (enforceQuota) await _maildir.Quota.EnsureRoomAsync(size, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            File.Delete(tempPath);
            throw Failed(e);
        }
        return (tempPath, unique, size, virtualSize);
    }

    /// <summary>
    /// Serves one group (<see cref="FolderCommitGroup"/>) under one uidlist lock: moves its copies from tmp/ into the folder
    /// (Dovecot's order, for several files at once, as one Dovecot transaction saves several): move each, fsync new/ (cur/),
    /// append their UIDs (fsynced); then runs each piece of <paramref name="work"/>; lets the lock go and fsyncs
    /// mailops-modseq once for all of it. Completes each copy's <see cref="PendingCopy.Uid"/> and each work's
    /// <see cref="LockedWork.Done"/>; throws OperationCanceledException, having touched none, when
    /// <paramref name="cancellationToken"/> stops the wait for the lock.
    /// </summary>
    internal async Task CommitAsync(IReadOnlyList<PendingCopy> copies, IReadOnlyList<LockedWork> work, CancellationToken cancellationToken)
    {
        Dotlock uidListLock;
        try
        {
            uidListLock = await LockUidListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            foreach (var copy in copies.Where(c => c.TryClaim()))
            {
                File.Delete(copy.TempPath);
                copy.Uid.TrySetException(Failed(e));
            }
            foreach (var item in work.Where(w => w.TryClaim())) item.Done.TrySetException(Failed(e));
            return;
        }
        var done = new List<(LockedWork Item, object? Result, Exception? Error)>(work.Count);
        using (uidListLock)
        {
            CommitCopiesLocked(copies);
            foreach (var item in work.Where(w => w.TryClaim()))
            {
                try
                {
                    done.Add((item, item.Work(), null));
                }
                catch (Exception e)
                {
                    done.Add((item, null, e));
                }
            }
        }
        if (done.Count == 0) return;
        Exception? flushFailure = null;
        try
        {
            // Why: a mod-sequence is reported only once it survives a crash; one fsync covers every line of the group.
            ModSeqFile.Of(Path).FlushToDisk();
        }
        catch (MailStoreException e)
        {
            flushFailure = e;
        }
        foreach (var (item, result, error) in done)
        {
            if ((error ?? flushFailure) is { } failure) item.Done.TrySetException(failure);
            else item.Done.TrySetResult(result);
        }
    }

    // Under the uidlist lock: the group's copies into the folder.
    private void CommitCopiesLocked(IReadOnlyList<PendingCopy> copies)
    {
        var batch = copies.Where(c => c.TryClaim()).ToList();
        if (batch.Count == 0) return;
        var cache = MaildirFolderCache.Of(Path);
        var moved = new List<PendingCopy>(batch.Count);
        UidList.Appender? appender = null;
        try
        {
            // Usually the list only grows: append to it. Otherwise read (or create) it whole before the moves, since
            // a new list numbers the files already here and must not count these twice.
            appender = UidList.Appender.Open(Path);
            var uidList = appender is null ? ReadOrCreateUidList() : null;
            foreach (var copy in batch)
            {
                try
                {
                    cache.Committing(copy.BaseName);
                    File.Move(copy.TempPath, copy.FinalPath, overwrite: false);
                    moved.Add(copy);
                }
                catch (Exception e)
                {
                    File.Delete(copy.TempPath);
                    copy.Uid.TrySetException(Failed(e));
                }
            }
            if (moved.Count == 0) return;
            // Why: the UIDs recorded next must never name a file that a power loss takes back out of the directory.
            foreach (var directory in moved.Select(c => System.IO.Path.GetDirectoryName(c.FinalPath)!).Distinct())
                Posix.FsyncDirectory(directory);
            uint first;
            if (appender is not null)
            {
                // Why the fsync inside: a UID a client may have seen must not be given again after a crash.
                var uidListPath = UidListPath;
                var before = Posix.Stat(uidListPath, followSymlinks: true);
                var names = moved.Select(c => c.BaseName).ToList();
                first = appender.Append(names);
                cache.Appended(before, Posix.Stat(uidListPath, followSymlinks: true), first, names);
            }
            else
            {
                first = uidList!.NextUid;
                foreach (var copy in moved) uidList.Append(copy.BaseName);
                uidList.Write(Path, _maildir.Options.Owner);
            }
            GiveNewModSeqs(moved, first, appender?.UidValidity ?? uidList!.UidValidity);
            for (var i = 0; i < moved.Count; i++) moved[i].Uid.TrySetResult(first + (uint)i);
        }
        catch (Exception e)
        {
            // As Dovecot's rollback: the uidlist is still locked, so no one has given the moved files UIDs yet.
            var movedSet = moved.ToHashSet();
            foreach (var copy in batch)
            {
                if (copy.Uid.Task.IsCompleted) continue;
                File.Delete(movedSet.Contains(copy) ? copy.FinalPath : copy.TempPath);
                copy.Uid.TrySetException(Failed(e));
            }
        }
        finally
        {
            appender?.Dispose();
            foreach (var copy in batch) cache.Committed(copy.BaseName);
        }
    }

    // Under the uidlist lock: the copies just numbered get their first mod-sequence here, so that the next listing finds
    // the folder in step and need not take the lock for them (the listing fsyncs mailops-modseq before reporting one).
    private void GiveNewModSeqs(List<PendingCopy> moved, uint first, uint uidValidity)
    {
        var modSeqs = ModSeqFile.Of(Path);
        if (!modSeqs.Refresh(uidValidity)) return; // the listing rebuilds it
        try
        {
            var given = new ulong[moved.Count];
            for (var i = 0; i < moved.Count; i++) given[i] = modSeqs.Assign(first + (uint)i, ModSeqFile.StateOf(System.IO.Path.GetFileName(moved[i].FinalPath)));
            modSeqs.Save(_maildir.Options.Owner, flushToDisk: false);
            for (var i = 0; i < moved.Count; i++) moved[i].ModSeq = given[i];
        }
        catch (MailStoreException)
        {
            // The messages are stored all the same; the next listing gives them their mod-sequences under the lock.
        }
        finally
        {
            modSeqs.Discard();
        }
    }

    private Exception Failed(Exception e) => e is MailStoreException or OperationCanceledException
        ? e
        : new MailStoreException($"Could not store the message in {Path}: {e.Message}", isTransient: true, e);

    /// <inheritdoc />
    public async Task<MailFolderSnapshot> ListMessagesAsync(CancellationToken cancellationToken = default)
    {
        EnsureExists();
        var uidList = MaildirFolderCache.Of(Path).ReadUidList();
        var files = ScanFiles();
        var modSeqs = ModSeqFile.Of(Path);
        List<StoredMessage>? messages = null;
        uint? numbering = null;
        // A file renamed by another session between the directory scan and the read of mailops-modseq differs from both:
        // look once more before taking the lock.
        // Unnumbered files are looked for once per scan, not again when the first look found none.
        var toNumber = uidList is null || HasUnnumbered(uidList, files);
        if (!toNumber && (messages = TryDescribe(uidList!, files, modSeqs, out numbering)) is null)
        {
            messages = TryDescribe(uidList!, files = ScanFiles(), modSeqs, out numbering);
            toNumber = HasUnnumbered(uidList!, files);
        }
        if (uidList is null || toNumber || messages is null)
        {
            // Messages without a UID (another program delivered them, or the uidlist is new), or flags changed or messages
            // gone that have no mod-sequence yet: number them and give them one under the lock.
            using var uidListLock = await LockUidListAsync(cancellationToken).ConfigureAwait(false);
            uidList = ReadOrCreateUidList();
            files = ScanFiles();
            var unnumbered = files.Keys.Where(name => uidList.Find(name) is null).Order(Comparer<string>.Create(MaildirFileName.SortCompare)).ToList();
            foreach (var name in unnumbered) uidList.Append(name);
            if (unnumbered.Count > 0 || !File.Exists(UidListPath)) uidList.Write(Path, _maildir.Options.Owner);
            GiveModSeqs(uidList, files, modSeqs);
            messages = TryDescribe(uidList, files, modSeqs, out numbering) ?? throw new MailStoreException($"Mod-sequences of {Path} are not in step.", isTransient: true);
        }
        modSeqs.FlushToDisk();
        MailFolderSessions.Share(Path, messages);
        // UIDNEXT stops at a message left out while this process numbers it, so that it counts as new when it is told.
        return new MailFolderSnapshot(uidList.UidValidity, numbering ?? uidList.NextUid, messages) { HighestModSeq = modSeqs.Highest };
    }

    // Files without a UID, other than those this process is numbering right now (it tells the change when done).
    private bool HasUnnumbered(UidList uidList, Dictionary<string, MaildirFile> files)
    {
        var cache = MaildirFolderCache.Of(Path);
        foreach (var name in files.Keys)
        {
            if (uidList.Find(name) is null && !cache.IsCommitting(name)) return true;
        }
        return false;
    }

    // The messages with their mod-sequences; null when a file's flags, or the set of messages, differ from what mailops-modseq says.
    // The first UID left out because this process is numbering it is put in numbering.
    private List<StoredMessage>? TryDescribe(UidList uidList, Dictionary<string, MaildirFile> files, ModSeqFile modSeqs, out uint? numbering)
    {
        numbering = null;
        if (!modSeqs.Refresh(uidList.UidValidity)) return null;
        IReadOnlyDictionary<char, string>? keywords = null;
        var messages = new List<StoredMessage>(uidList.Records.Count);
        foreach (var record in uidList.Records)
        {
            if (!files.TryGetValue(record.BaseName, out var file)) continue;
            if (!modSeqs.TryGet(record.Uid, out var modSeq, out var state))
            {
                // Numbered by this process a moment ago, its mod-sequence on the way: left for the change it will tell.
                if (MaildirFolderCache.Of(Path).IsCommitting(record.BaseName))
                {
                    numbering ??= record.Uid;
                    continue;
                }
                return null;
            }
            if (state != ModSeqFile.StateOf(file.Name)) return null;
            // The same file name (so the same flags) and mod-sequence as at the last listing: the same description.
            if (file.Described is not { } described || described.Uid != record.Uid || described.ModSeq != modSeq)
            {
                keywords ??= MaildirFileName.ParseFlags(file.Name).KeywordLetters.Length > 0 ? MaildirKeywords.Read(Path) : null;
                described = Describe(record, file, keywords ?? NoKeywords) with { ModSeq = modSeq };
                file.Described = described;
            }
            messages.Add(described);
        }
        return messages.Count == modSeqs.PresentCount ? messages : null;
    }

    private static readonly IReadOnlyDictionary<char, string> NoKeywords = new Dictionary<char, string>();

    // Under the uidlist lock: a new mod-sequence for each message whose flags are not those recorded (changed by us, by
    // Dovecot or by hand), and an expunge for each recorded message whose file is gone.
    private void GiveModSeqs(UidList uidList, Dictionary<string, MaildirFile> files, ModSeqFile modSeqs)
    {
        if (!modSeqs.Refresh(uidList.UidValidity)) modSeqs.Rebuild(uidList.UidValidity, fresh: false);
        var present = new HashSet<uint>();
        try
        {
            foreach (var record in uidList.Records)
            {
                if (!files.TryGetValue(record.BaseName, out var file)) continue;
                present.Add(record.Uid);
                var state = ModSeqFile.StateOf(file.Name);
                if (!modSeqs.TryGet(record.Uid, out _, out var recorded) || recorded != state) modSeqs.Assign(record.Uid, state);
            }
            // A file renamed while the directory was read is not gone: a second scan (one, however many are missing) finds it.
            Dictionary<string, MaildirFile>? again = null;
            foreach (var uid in modSeqs.PresentUids().Where(u => !present.Contains(u)))
            {
                again ??= ScanFiles();
                if (uidList.Find(uid) is { } record && again.ContainsKey(record.BaseName)) continue;
                modSeqs.Expunge(uid);
            }
            modSeqs.Save(_maildir.Options.Owner, flushToDisk: false);
        }
        finally
        {
            modSeqs.Discard();
        }
    }

    /// <inheritdoc />
    public Stream? OpenMessage(uint uid)
    {
        if (MaildirFolderCache.Of(Path).ReadUidList()?.Find(uid) is not { } record) return null;
        // The file may move from new/ to cur/ or be renamed for its flags while we look; look again then.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (FindFile(record.BaseName) is not { } path) return null;
            try
            {
                return WithCrlf(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            }
            catch (FileNotFoundException)
            {
            }
        }
        return null;
    }

    /// <inheritdoc />
    public Stream? OpenMessage(StoredMessage message)
    {
        try
        {
            return WithCrlf(new FileStream(message.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Renamed for its flags or moved from new/ to cur/ since the snapshot: find it by UID.
            return OpenMessage(message.Uid);
        }
    }

    // Maildir files have LF line ends (LfMessageCopy); IMAP and POP3 serve CRLF.
    private static FilteredStream WithCrlf(FileStream file)
    {
        var crlf = new FilteredStream(file);
        crlf.Add(new Unix2DosFilter());
        return crlf;
    }

    /// <inheritdoc />
    public async Task<StoredMessage?> SetFlagsAsync(uint uid, MessageFlags flags, IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default) =>
        (await ChangeFlagsAsync(uid, null, flags, keywords, cancellationToken).ConfigureAwait(false)).Message;

    /// <inheritdoc />
    public Task<(StoredMessage? Message, bool Modified)> SetFlagsIfUnchangedAsync(uint uid, ulong unchangedSince, MessageFlags flags,
        IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default) =>
        ChangeFlagsAsync(uid, unchangedSince, flags, keywords, cancellationToken);

    // The file is renamed, and its new mod-sequence appended, under the uidlist lock, so that UNCHANGEDSINCE is checked
    // against what is there; the fsync of mailops-modseq comes after the lock is let go (it covers every line appended
    // before it, so concurrent changes share it) and before the new mod-sequence is reported. Keyword letters are found
    // first: no code holds two dotlocks at once.
    private async Task<(StoredMessage? Message, bool Modified)> ChangeFlagsAsync(uint uid, ulong? unchangedSince, MessageFlags flags,
        IReadOnlyCollection<string>? keywords, CancellationToken cancellationToken)
    {
        var options = _maildir.Options;
        var wanted = keywords is null ? null
            : await MaildirKeywords.LettersForAsync(Path, keywords, options.HostName, options.Owner, cancellationToken).ConfigureAwait(false);
        if (MaildirFolderCache.Of(Path).ReadUidList() is not { } uidList || uidList.Find(uid) is not { } record) return (null, false);
        var told = new List<MailFolderChangeKind>();
        // Under the lock, with the other changes waiting for it at the same time (FolderCommitGroup); mailops-modseq is
        // fsynced before this returns.
        var result = await FolderCommitGroup.RunLockedAsync(this, () =>
        {
            var modSeqs = ModSeqFile.Of(Path);
            var (list, found) = (uidList, record);
            if (!modSeqs.Refresh(list.UidValidity))
            {
                if (MaildirFolderCache.Of(Path).ReadUidList() is not { } current || current.Find(uid) is not { } again) return (null, false);
                (list, found) = (current, again);
                GiveModSeqs(list, ScanFiles(), modSeqs);
            }
            return ChangeFlagsLocked(found, modSeqs, unchangedSince, flags, wanted, told);
        }, cancellationToken).ConfigureAwait(false);
        foreach (var kind in told)
            MailFolderSessions.Notify(Path, new MailFolderChange(kind, [uid], result.Message is { ModSeq: > 0 } now ? [now] : null));
        return result;
    }

    private (StoredMessage? Message, bool Modified) ChangeFlagsLocked(UidListRecord record, ModSeqFile modSeqs, ulong? unchangedSince, MessageFlags flags,
        string? wanted, List<MailFolderChangeKind> told)
    {
        var uid = record.Uid;
        // The file may be renamed by someone else between finding and renaming it; find it again then.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (FindFile(record.BaseName) is not { } current) return (null, false);
            var name = System.IO.Path.GetFileName(current);
            var known = modSeqs.TryGet(uid, out var modSeq, out var state);
            if (!known || state != ModSeqFile.StateOf(name))
            {
                // New since the last listing, or changed behind our back (Dovecot, a mail program): that is a change too.
                modSeq = AppendModSeq(modSeqs, uid, ModSeqFile.StateOf(name));
                if (known) told.Add(MailFolderChangeKind.FlagsChanged);
            }
            if (modSeq > unchangedSince) return (Describe(record, FileAt(current), KeywordsOf(name)) with { ModSeq = modSeq }, true);
            var letters = wanted ?? MaildirFileName.ParseFlags(name).KeywordLetters;
            var target = System.IO.Path.Combine(Path, "cur", MaildirFileName.WithInfo(record.BaseName, flags, letters));
            if (current == target) return (Describe(record, FileAt(target), KeywordsOf(name)) with { ModSeq = modSeq }, false);
            try
            {
                File.Move(current, target, overwrite: false);
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            catch (IOException) when (File.Exists(target))
            {
                // Someone else gave it these flags meanwhile.
            }
            var targetName = System.IO.Path.GetFileName(target);
            modSeq = AppendModSeq(modSeqs, uid, ModSeqFile.StateOf(targetName));
            if (told.Count == 0) told.Add(MailFolderChangeKind.FlagsChanged);
            return (Describe(record, FileAt(target), KeywordsOf(targetName)) with { ModSeq = modSeq }, false);
        }
        return (null, false);
    }

    // Under the uidlist lock: the next mod-sequence for uid, appended without an fsync (the caller fsyncs after the lock).
    private ulong AppendModSeq(ModSeqFile modSeqs, uint uid, string state)
    {
        try
        {
            var modSeq = modSeqs.Assign(uid, state);
            modSeqs.Save(_maildir.Options.Owner, flushToDisk: false);
            return modSeq;
        }
        finally
        {
            modSeqs.Discard();
        }
    }

    private IReadOnlyDictionary<char, string> KeywordsOf(string fileName) =>
        MaildirFileName.ParseFlags(fileName).KeywordLetters.Length > 0 ? MaildirKeywords.Read(Path) : new Dictionary<char, string>();

    /// <inheritdoc />
    public IReadOnlyList<uint>? ExpungedSince(ulong modSeq)
    {
        var modSeqs = ModSeqFile.Of(Path);
        modSeqs.Refresh(null);
        return modSeqs.ExpungedSince(modSeq);
    }

    /// <inheritdoc />
    public ulong HighestModSeq()
    {
        var modSeqs = ModSeqFile.Of(Path);
        modSeqs.Refresh(null);
        return modSeqs.Highest;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<uint>> ExpungeAsync(IReadOnlyCollection<uint> uids, CancellationToken cancellationToken = default)
    {
        if (uids.Count == 0 || MaildirFolderCache.Of(Path).ReadUidList() is not { } list) return [];
        var removed = new List<uint>();
        long freed = 0;
        foreach (var uid in uids.Order())
        {
            if (list.Find(uid) is not { } record) continue;
            // As maildir_file_do: a file renamed while we look is looked for again; one already gone was expunged by someone else.
            for (var attempt = 0; attempt < 5; attempt++)
            {
                if (FindFile(record.BaseName) is not { } path) break;
                try
                {
                    var size = MaildirFileName.TryGetSize(System.IO.Path.GetFileName(path), 'S', out var s) ? s : new FileInfo(path).Length;
                    File.Delete(path);
                    if (!File.Exists(path))
                    {
                        MaildirFolderCache.Of(Path).Moved(record.BaseName, null);
                        removed.Add(uid);
                        freed += size;
                        break;
                    }
                }
                catch (FileNotFoundException)
                {
                    // Renamed for its flags between finding and measuring it: look again.
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    if (removed.Count > 0) await _maildir.Quota.AddAsync(-freed, -removed.Count, CancellationToken.None).ConfigureAwait(false);
                    if (removed.Count > 0) MailFolderSessions.Notify(Path, new MailFolderChange(MailFolderChangeKind.Expunged, removed));
                    throw new MailStoreException($"Could not remove {path}: {e.Message}", isTransient: true, e);
                }
            }
        }
        if (removed.Count == 0) return removed;
        // No fsync of cur/ and new/ for the unlinks, as Dovecot (fsync_mode optimized): a power loss can bring an
        // expunged message back (it is then listed again, under a new UID), never lose one.
        // A negative line in maildirsize, as Dovecot writes for an expunge.
        await _maildir.Quota.AddAsync(-freed, -removed.Count, CancellationToken.None).ConfigureAwait(false);
        try
        {
            await FolderCommitGroup.RunLockedAsync<object?>(this, () =>
            {
                if (MaildirFolderCache.Of(Path).ReadUidList() is not { } shared) return null;
                // Records of files that are gone stay in the uidlist (readers skip them) until they are a quarter of it;
                // then it is written anew without them (maildir_uidlist_recreate), as Dovecot's UIDLIST_COMPRESS_PERCENTAGE
                // decides: not a rewrite, fsync and rename for every expunge. The count comes from the last scan (with the
                // files just removed); the rewrite itself scans.
                var gone = MaildirFolderCache.Of(Path).CountMissing(shared.Records);
                if (gone > 0 && gone * 4 >= shared.Records.Count && UidList.Read(Path) is { } current)
                {
                    var files = ScanFiles();
                    // A file renamed for its flags while the directory was read may be missed by the scan: a second one
                    // finds it (one, not a look per record: a quarter of the folder may be missing).
                    var again = ScanFiles();
                    if (current.RemoveWhere(r => !files.ContainsKey(r.BaseName) && !again.ContainsKey(r.BaseName)) > 0) current.Write(Path, _maildir.Options.Owner);
                }
                // RFC 7162 3.2.5: the expunges are remembered with their mod-sequence for VANISHED (EARLIER).
                var modSeqs = ModSeqFile.Of(Path);
                if (!modSeqs.Refresh(shared.UidValidity)) return null;
                try
                {
                    foreach (var uid in removed) modSeqs.Expunge(uid);
                    modSeqs.Save(_maildir.Options.Owner, flushToDisk: false);
                }
                catch (MailStoreException)
                {
                    // The files are gone all the same; the next listing records what it finds missing.
                }
                finally
                {
                    modSeqs.Discard();
                }
                return null;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (MailStoreException)
        {
            // As above: the next listing records what it finds missing.
        }
        MailFolderSessions.Notify(Path, new MailFolderChange(MailFolderChangeKind.Expunged, removed));
        return removed;
    }

    /// <inheritdoc />
    public IDisposable? TryLockSession() => MailFolderSessions.TryTakeExclusive(Path);

    /// <inheritdoc />
    public IDisposable Watch(Action<MailFolderChange> onChange) => MailFolderSessions.Watch(Path, onChange);

    private void EnsureExists()
    {
        if (Maildir.IsInbox(Name)) _maildir.EnsureRoot();
        else if (!Directory.Exists(Path)) throw new MailFolderNotFoundException(Name);
    }

    private Task<Dotlock> LockUidListAsync(CancellationToken cancellationToken) =>
        Dotlock.AcquireAsync(UidListPath, _maildir.Options.UidListLockTimeouts, writePid: true, _maildir.Options.HostName, _maildir.Options.Owner, cancellationToken);

    // Under the lock: the current list, or a new one that first numbers the messages already here (as Dovecot does
    // when dovecot-uidlist is missing).
    private UidList ReadOrCreateUidList()
    {
        if (UidList.Read(Path) is { } existing) return existing;
        var created = UidList.Create(UidValidityCounter.Next(_maildir.Root, _maildir.Options.Owner));
        // A new UIDVALIDITY: mod-sequences may start again from nothing.
        var modSeqs = ModSeqFile.Of(Path);
        modSeqs.Rebuild(created.UidValidity, fresh: true);
        modSeqs.Save(_maildir.Options.Owner);
        foreach (var name in ScanFiles().Keys.Order(Comparer<string>.Create(MaildirFileName.SortCompare))) created.Append(name);
        return created;
    }

    // new/ before cur/: a file moving from new/ to cur/ during the scan is then seen at least once.
    /// <inheritdoc />
    public (long New, long Cur, long UidList) ChangeStamp() =>
        (Directory.GetLastWriteTimeUtc(System.IO.Path.Combine(Path, "new")).Ticks, Directory.GetLastWriteTimeUtc(System.IO.Path.Combine(Path, "cur")).Ticks,
            File.GetLastWriteTimeUtc(UidListPath).Ticks);

    private Dictionary<string, MaildirFile> ScanFiles() => MaildirFolderCache.Of(Path).Scan();

    private string? FindFile(string baseName) => MaildirFolderCache.Of(Path).Find(baseName)?.FullName;

    // The file at path (just found or renamed by this process), with its time from the cache when known.
    private MaildirFile FileAt(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        var cache = MaildirFolderCache.Of(Path);
        var baseName = MaildirFileName.BaseOf(name);
        var time = cache.Known(baseName)?.ModifiedUtc ?? Posix.Stat(path)?.ModifiedUtc ?? File.GetLastWriteTimeUtc(path);
        var file = new MaildirFile(name, path, System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(path)) == "new", time);
        cache.Moved(baseName, file);
        return file;
    }

    private static StoredMessage Describe(UidListRecord record, MaildirFile file, IReadOnlyDictionary<char, string> keywordNames)
    {
        var physical = MaildirFileName.TryGetSize(file.Name, 'S', out var s) ? s : file.Length;
        var virtualSize = MaildirFileName.TryGetSize(file.Name, 'W', out var w) ? w
            : record.Extensions.FirstOrDefault(e => e.StartsWith('W')) is { } ext && long.TryParse(ext.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var fromList) ? fromList
            : VirtualSizeOf(file);
        var (flags, letters) = MaildirFileName.ParseFlags(file.Name);
        var keywords = letters.Select(l => keywordNames.GetValueOrDefault(l)).OfType<string>().ToList();
        // maildir_mail_get_special: a P field gives the POP3 UIDL; an empty one means the base file name.
        var savedUidl = record.Extensions.FirstOrDefault(e => e.Length > 0 && e[0] == 'P') is { } p ? (p.Length > 1 ? p[1..] : record.BaseName) : null;
        return new StoredMessage(record.Uid, virtualSize, physical, flags, keywords, file.ModifiedUtc, file.FullName) { SavedPop3Uidl = savedUidl };
    }

    private static long VirtualSizeOf(MaildirFile file)
    {
        using var stream = File.OpenRead(file.FullName);
        return LfMessageCopy.VirtualSizeOf(stream);
    }
}
