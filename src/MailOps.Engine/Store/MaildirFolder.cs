using System.Globalization;
using MailOps.Engine.Platform;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace MailOps.Engine.Store;

/// <summary>
/// One Maildir++ folder: its <c>tmp/ new/ cur/</c> and its <c>dovecot-uidlist</c>. Delivery follows the Maildir rule
/// and Dovecot's order (maildir-save.c): write and fsync the file in tmp/, take the uidlist lock, move the file to
/// new/ (cur/ when it has flags), fsync that directory, append the UID to the uidlist (fsynced), release the lock.
/// Copies arriving at once for one folder share the lock and its fsyncs (<see cref="FolderCommitGroup"/>).
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
    public async Task<StoredMessage> DeliverAsync(Stream message, MessageFlags flags = MessageFlags.None, DateTimeOffset? receivedDate = null,
        IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default)
    {
        EnsureExists();
        var options = _maildir.Options;
        var letters = keywords is { Count: > 0 }
            ? await MaildirKeywords.LettersForAsync(Path, keywords, options.HostName, options.Owner, cancellationToken).ConfigureAwait(false)
            : "";
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
            if (options.BeforeMoveToNew is { } hook) await hook(tempPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            File.Delete(tempPath);
            throw Failed(e);
        }

        var baseName = MaildirFileName.WithSizes(unique, size, virtualSize);
        var plain = flags == MessageFlags.None && letters.Length == 0;
        var finalPath = System.IO.Path.Combine(Path, plain ? "new" : "cur", plain ? baseName : MaildirFileName.WithInfo(baseName, flags, letters));
        var uid = await FolderCommitGroup.EnterAsync(new PendingCopy(this, tempPath, finalPath, baseName, cancellationToken)).ConfigureAwait(false);
        MailFolderSessions.Notify(Path, new MailFolderChange(MailFolderChangeKind.Appended, [uid]));
        var named = letters.Length == 0 ? [] : MaildirKeywords.Read(Path);
        return new StoredMessage(uid, virtualSize, size, flags, letters.Select(l => named.GetValueOrDefault(l)).OfType<string>().ToList(),
            File.GetLastWriteTimeUtc(finalPath), finalPath);
    }

    /// <summary>
    /// Moves a group of copies from tmp/ into the folder under one uidlist lock (Dovecot's order, for several files at
    /// once, as one Dovecot transaction saves several): move each, fsync new/ (cur/), append their UIDs (fsynced).
    /// Completes the <see cref="PendingCopy.Uid"/> of each copy not withdrawn; throws OperationCanceledException,
    /// having touched none, when <paramref name="cancellationToken"/> stops the wait for the lock.
    /// </summary>
    internal async Task CommitAsync(IReadOnlyList<PendingCopy> copies, CancellationToken cancellationToken)
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
            return;
        }
        using (uidListLock)
        {
            var batch = copies.Where(c => c.TryClaim()).ToList();
            if (batch.Count == 0) return;
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
                    first = appender.Append(moved.Select(c => c.BaseName));
                }
                else
                {
                    first = uidList!.NextUid;
                    foreach (var copy in moved) uidList.Append(copy.BaseName);
                    uidList.Write(Path, _maildir.Options.Owner);
                }
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
            }
        }
    }

    private Exception Failed(Exception e) => e is MailStoreException or OperationCanceledException
        ? e
        : new MailStoreException($"Could not store the message in {Path}: {e.Message}", isTransient: true, e);

    /// <inheritdoc />
    public async Task<MailFolderSnapshot> ListMessagesAsync(CancellationToken cancellationToken = default)
    {
        EnsureExists();
        var uidList = UidList.Read(Path);
        var files = ScanFiles();
        if (uidList is null || files.Keys.Any(name => uidList.Find(name) is null))
        {
            // Messages without a UID (another program delivered them, or the uidlist is new): number them under the lock.
            using var uidListLock = await LockUidListAsync(cancellationToken).ConfigureAwait(false);
            uidList = ReadOrCreateUidList();
            files = ScanFiles();
            var unnumbered = files.Keys.Where(name => uidList.Find(name) is null).Order(Comparer<string>.Create(MaildirFileName.SortCompare)).ToList();
            foreach (var name in unnumbered) uidList.Append(name);
            uidList.Write(Path, _maildir.Options.Owner);
        }
        var keywords = files.Values.Any(f => f.Name.Contains(":2,", StringComparison.Ordinal)) ? MaildirKeywords.Read(Path) : [];
        var messages = new List<StoredMessage>();
        foreach (var record in uidList.Records)
        {
            if (files.TryGetValue(record.BaseName, out var file)) messages.Add(Describe(record, file, keywords));
        }
        MailFolderSessions.Share(Path, messages);
        return new MailFolderSnapshot(uidList.UidValidity, uidList.NextUid, messages);
    }

    /// <inheritdoc />
    public Stream? OpenMessage(uint uid)
    {
        if (UidList.Read(Path)?.Find(uid) is not { } record) return null;
        // The file may move from new/ to cur/ or be renamed for its flags while we look; look again then.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (FindFile(record.BaseName) is not { } path) return null;
            try
            {
                var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var crlf = new FilteredStream(file);
                crlf.Add(new Unix2DosFilter());
                return crlf;
            }
            catch (FileNotFoundException)
            {
            }
        }
        return null;
    }

    /// <inheritdoc />
    public async Task<StoredMessage?> SetFlagsAsync(uint uid, MessageFlags flags, IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default)
    {
        if (UidList.Read(Path)?.Find(uid) is not { } record) return null;
        var options = _maildir.Options;
        // The file may be renamed by someone else between finding and renaming it; find it again then.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (FindFile(record.BaseName) is not { } current) return null;
            var name = System.IO.Path.GetFileName(current);
            var letters = keywords is null
                ? MaildirFileName.ParseFlags(name).KeywordLetters
                : await MaildirKeywords.LettersForAsync(Path, keywords, options.HostName, options.Owner, cancellationToken).ConfigureAwait(false);
            var target = System.IO.Path.Combine(Path, "cur", MaildirFileName.WithInfo(record.BaseName, flags, letters));
            try
            {
                if (current != target) File.Move(current, target, overwrite: false);
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            catch (IOException) when (File.Exists(target))
            {
                // Someone else gave it these flags meanwhile.
            }
            MailFolderSessions.Notify(Path, new MailFolderChange(MailFolderChangeKind.FlagsChanged, [uid]));
            return Describe(record, new FileInfo(target), letters.Length > 0 ? MaildirKeywords.Read(Path) : []);
        }
        return null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<uint>> ExpungeAsync(IReadOnlyCollection<uint> uids, CancellationToken cancellationToken = default)
    {
        if (uids.Count == 0 || UidList.Read(Path) is not { } list) return [];
        var removed = new List<uint>();
        foreach (var uid in uids.Order())
        {
            if (list.Find(uid) is not { } record) continue;
            // As maildir_file_do: a file renamed while we look is looked for again; one already gone was expunged by someone else.
            for (var attempt = 0; attempt < 5; attempt++)
            {
                if (FindFile(record.BaseName) is not { } path) break;
                try
                {
                    File.Delete(path);
                    if (!File.Exists(path)) { removed.Add(uid); break; }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    if (removed.Count > 0) MailFolderSessions.Notify(Path, new MailFolderChange(MailFolderChangeKind.Expunged, removed));
                    throw new MailStoreException($"Could not remove {path}: {e.Message}", isTransient: true, e);
                }
            }
        }
        if (removed.Count == 0) return removed;
        foreach (var sub in new[] { "cur", "new" }) Posix.FsyncDirectory(System.IO.Path.Combine(Path, sub));
        // The uidlist is written anew without the records whose files are gone (maildir_uidlist_recreate), under its lock.
        using (await LockUidListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (UidList.Read(Path) is { } current)
            {
                var files = ScanFiles();
                // A file renamed for its flags while the directory was read may be missed by the scan: look once more before dropping it.
                if (current.RemoveWhere(r => !files.ContainsKey(r.BaseName) && FindFile(r.BaseName) is null) > 0) current.Write(Path, _maildir.Options.Owner);
            }
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
        foreach (var name in ScanFiles().Keys.Order(Comparer<string>.Create(MaildirFileName.SortCompare))) created.Append(name);
        return created;
    }

    // new/ before cur/: a file moving from new/ to cur/ during the scan is then seen at least once.
    /// <inheritdoc />
    public (long New, long Cur, long UidList) ChangeStamp() =>
        (Directory.GetLastWriteTimeUtc(System.IO.Path.Combine(Path, "new")).Ticks, Directory.GetLastWriteTimeUtc(System.IO.Path.Combine(Path, "cur")).Ticks,
            File.GetLastWriteTimeUtc(UidListPath).Ticks);

    private Dictionary<string, FileInfo> ScanFiles()
    {
        var files = new Dictionary<string, FileInfo>(StringComparer.Ordinal);
        foreach (var sub in new[] { "new", "cur" })
        {
            var dir = new DirectoryInfo(System.IO.Path.Combine(Path, sub));
            if (!dir.Exists) continue;
            foreach (var file in dir.EnumerateFiles())
            {
                if (file.Name.StartsWith('.')) continue;
                files[MaildirFileName.BaseOf(file.Name)] = file;
            }
        }
        return files;
    }

    private string? FindFile(string baseName)
    {
        var inNew = System.IO.Path.Combine(Path, "new", baseName);
        if (File.Exists(inNew)) return inNew;
        var cur = System.IO.Path.Combine(Path, "cur");
        if (!Directory.Exists(cur)) return null;
        return Directory.EnumerateFiles(cur, baseName + "*")
            .FirstOrDefault(f => MaildirFileName.BaseOf(System.IO.Path.GetFileName(f)) == baseName);
    }

    private static StoredMessage Describe(UidListRecord record, FileInfo file, IReadOnlyDictionary<char, string> keywordNames)
    {
        var physical = MaildirFileName.TryGetSize(file.Name, 'S', out var s) ? s : file.Length;
        var virtualSize = MaildirFileName.TryGetSize(file.Name, 'W', out var w) ? w
            : record.Extensions.FirstOrDefault(e => e.StartsWith('W')) is { } ext && long.TryParse(ext.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var fromList) ? fromList
            : VirtualSizeOf(file);
        var (flags, letters) = MaildirFileName.ParseFlags(file.Name);
        var keywords = letters.Select(l => keywordNames.GetValueOrDefault(l)).OfType<string>().ToList();
        // maildir_mail_get_special: a P field gives the POP3 UIDL; an empty one means the base file name.
        var savedUidl = record.Extensions.FirstOrDefault(e => e.Length > 0 && e[0] == 'P') is { } p ? (p.Length > 1 ? p[1..] : record.BaseName) : null;
        return new StoredMessage(record.Uid, virtualSize, physical, flags, keywords, file.LastWriteTimeUtc, file.FullName) { SavedPop3Uidl = savedUidl };
    }

    private static long VirtualSizeOf(FileInfo file)
    {
        using var stream = file.OpenRead();
        return LfMessageCopy.VirtualSizeOf(stream);
    }
}
