using System.Collections.Concurrent;
using System.IO.Enumeration;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Store;

/// <summary>
/// What this process last saw of one Maildir folder, so that listing it again costs two directory reads and a few stat
/// calls, not a stat of every message and a parse of its whole uidlist (as Dovecot's index spares it the same):
/// the files of the last scan by base name, each with its modification time (INTERNALDATE), which a rename for new flags
/// or from new/ to cur/ keeps, so only a file never seen before is stat'ed; and the parsed <c>dovecot-uidlist</c>
/// with the identity (inode, size, modification time to the nanosecond) of the file it was read from.
/// Everything here is re-checked against the disk on each use: other programs (Dovecot, a shell) change the folder
/// as they like. A message file is never written in place (the Maildir rule), so its modification time only changes if
/// someone sets it on purpose; that is not noticed, as Dovecot does not notice it either.
/// </summary>
internal sealed class MaildirFolderCache
{
    // As ModSeqFile's cache: past this many folders the cache starts again; safe at any moment.
    private const int MaxCachedFolders = 4096;
    private static readonly ConcurrentDictionary<string, MaildirFolderCache> Cached = new(StringComparer.Ordinal);
    private static readonly EnumerationOptions ListAll = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

    private readonly Lock _gate = new();
    private readonly string _folderPath;
    // The last scan's files, with this process's renames and removals since: changed in place, only under _gate.
    private Dictionary<string, MaildirFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _committing = new(StringComparer.Ordinal);
    private (FileStatus Status, UidList List)? _uidList;

    private MaildirFolderCache(string folderPath) => _folderPath = folderPath;

    /// <summary>The one instance for the folder at <paramref name="folderPath"/> (its directory, as MaildirFolder.Path) in this process.</summary>
    public static MaildirFolderCache Of(string folderPath)
    {
        if (Cached.TryGetValue(folderPath, out var known)) return known;
        if (Cached.Count >= MaxCachedFolders) Cached.Clear();
        return Cached.GetOrAdd(folderPath, p => new MaildirFolderCache(p));
    }

    /// <summary>Forgets every folder, as a restart of the server does.</summary>
    internal static void ForgetCached() => Cached.Clear();

    /// <summary>
    /// Notes that this process, holding the uidlist lock, is moving the file of <paramref name="baseName"/> into the folder
    /// and will number it (and give it its mod-sequence) before it lets the lock go: a listing that finds it without a UID
    /// meanwhile need not take the lock to number it, and leaves it for the change this process will tell.
    /// </summary>
    public void Committing(string baseName) => _committing[baseName] = 0;

    /// <summary>Ends <see cref="Committing"/> for <paramref name="baseName"/>: numbered, or given up.</summary>
    public void Committed(string baseName) => _committing.TryRemove(baseName, out _);

    /// <summary>Whether the file of <paramref name="baseName"/> is being numbered by this process now.</summary>
    public bool IsCommitting(string baseName) => !_committing.IsEmpty && _committing.ContainsKey(baseName);

    /// <summary>The file of <paramref name="baseName"/> as the last scan (or change) saw it; it may have moved since.</summary>
    public MaildirFile? Known(string baseName)
    {
        lock (_gate) return _files.GetValueOrDefault(baseName);
    }

    /// <summary>Notes that this process renamed (or removed, with null) the file of <paramref name="baseName"/>.</summary>
    public void Moved(string baseName, MaildirFile? now)
    {
        lock (_gate)
        {
            if (now is null) _files.Remove(baseName);
            else _files[baseName] = now;
        }
    }

    /// <summary>How many of <paramref name="records"/> name no file the last scan found (or this process kept since): no directory is read.</summary>
    public int CountMissing(IEnumerable<UidListRecord> records)
    {
        lock (_gate) return records.Count(r => !_files.ContainsKey(r.BaseName));
    }

    /// <summary>
    /// The message files in new/ and cur/ by base name (a file in both is taken from cur/, read second). Only names are
    /// read from the directories; a file not seen before is stat'ed for its time. A file that vanishes between the
    /// directory read and its stat (moved to cur/, renamed, removed) is looked for once more by its base name.
    /// </summary>
    public Dictionary<string, MaildirFile> Scan()
    {
        int count;
        lock (_gate) count = _files.Count;
        var files = new Dictionary<string, MaildirFile>(count + 16, StringComparer.Ordinal);
        foreach (var inNew in (ReadOnlySpan<bool>)[true, false])
        {
            var directory = Path.Combine(_folderPath, inNew ? "new" : "cur");
            var names = new FileSystemEnumerable<string>(directory, (ref FileSystemEntry e) => e.FileName.ToString(), ListAll)
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && e.FileName.Length > 0 && e.FileName[0] != '.',
            };
            try
            {
                foreach (var name in names)
                {
                    var baseName = MaildirFileName.BaseOf(name);
                    MaildirFile? file;
                    lock (_gate) file = _files.GetValueOrDefault(baseName);
                    if (file is not null && file.Name == name && file.InNew == inNew)
                    {
                        files[baseName] = file;
                        continue;
                    }
                    var fullName = Path.Combine(directory, name);
                    if (file is not null)
                    {
                        // Renamed since (flags, new/ to cur/): a rename keeps the modification time.
                        files[baseName] = new MaildirFile(name, fullName, inNew, file.ModifiedUtc);
                    }
                    else if (Posix.Stat(fullName) is { } status)
                    {
                        files[baseName] = new MaildirFile(name, fullName, inNew, status.ModifiedUtc);
                    }
                    else if (!inNew && Find(baseName) is { } moved)
                    {
                        files[baseName] = moved;
                    }
                }
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
        // The caller keeps its own dictionary; this one goes on with renames and removals in place.
        var kept = new Dictionary<string, MaildirFile>(files, StringComparer.Ordinal);
        lock (_gate) _files = kept;
        return files;
    }

    /// <summary>
    /// The file of <paramref name="baseName"/> now: where this process last saw it if it is still there (one stat),
    /// else looked for in new/ and cur/ (a read of cur/). Null when it is gone.
    /// </summary>
    public MaildirFile? Find(string baseName)
    {
        var known = Known(baseName);
        if (known is not null && Posix.Stat(known.FullName) is not null) return known;
        var inNew = Path.Combine(_folderPath, "new", baseName);
        if (Posix.Stat(inNew) is { } newStatus) return new MaildirFile(baseName, inNew, true, known?.ModifiedUtc ?? newStatus.ModifiedUtc);
        var cur = Path.Combine(_folderPath, "cur");
        if (!Directory.Exists(cur)) return null;
        foreach (var path in Directory.EnumerateFiles(cur, baseName + "*"))
        {
            var name = Path.GetFileName(path);
            if (MaildirFileName.BaseOf(name) != baseName) continue;
            if (known is not null) return new MaildirFile(name, path, false, known.ModifiedUtc);
            if (Posix.Stat(path) is { } status) return new MaildirFile(name, path, false, status.ModifiedUtc);
        }
        return null;
    }

    /// <summary>
    /// Notes that this process, holding the uidlist lock, appended <paramref name="baseNames"/> from UID
    /// <paramref name="first"/> on to the file that was <paramref name="before"/> and is now <paramref name="after"/>: the
    /// kept list grows by them instead of being read again.
    /// </summary>
    public void Appended(FileStatus? before, FileStatus? after, uint first, IReadOnlyList<string> baseNames)
    {
        lock (_gate)
        {
            if (_uidList is { } kept && before is { } was && kept.Status == was && after is { } now)
                _uidList = (now, kept.List.WithAppended(first, baseNames));
        }
    }

    /// <summary>
    /// The folder's uidlist, parsed again only when the file changed (another inode, size or modification time);
    /// null when there is none. Shared: the caller must not change it (use <see cref="UidList.Read"/> for that).
    /// </summary>
    /// <exception cref="MailStoreException">The file is not a uidlist Dovecot would accept.</exception>
    public UidList? ReadUidList()
    {
        // stat before the read: what is kept is then never older than the identity it is kept under.
        if (Posix.Stat(Path.Combine(_folderPath, UidList.FileName), followSymlinks: true) is not { } status)
        {
            lock (_gate) _uidList = null;
            return null;
        }
        lock (_gate)
        {
            if (_uidList is { } kept && kept.Status == status) return kept.List;
        }
        var list = UidList.Read(_folderPath);
        lock (_gate) _uidList = list is null ? null : (status, list);
        return list;
    }
}

/// <summary>A message file of a Maildir folder as a scan saw it.</summary>
/// <param name="name">Its file name (base name, then ",S=..." fields and ":2,"-flags).</param>
/// <param name="fullName">Its full path.</param>
/// <param name="inNew">True in new/, false in cur/.</param>
/// <param name="modifiedUtc">Its modification time: IMAP's INTERNALDATE.</param>
internal sealed class MaildirFile(string name, string fullName, bool inNew, DateTime modifiedUtc)
{
    /// <summary>Its file name.</summary>
    public string Name { get; } = name;

    /// <summary>Its full path.</summary>
    public string FullName { get; } = fullName;

    /// <summary>True in new/, false in cur/.</summary>
    public bool InNew { get; } = inNew;

    /// <summary>Its modification time.</summary>
    public DateTime ModifiedUtc { get; } = modifiedUtc;

    /// <summary>The last description of this file (this name) made for a listing; reused while its UID and mod-sequence stay.</summary>
    public StoredMessage? Described { get; set; }

    /// <summary>Its size in bytes, read from the disk (only for files whose name has no S= field).</summary>
    public long Length => new FileInfo(FullName).Length;
}
