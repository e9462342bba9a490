using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Store;

/// <summary>
/// A folder's mod-sequences (RFC 7162 3.1.1, CONDSTORE and QRESYNC), kept in <c>mailops-modseq</c> beside
/// dovecot-uidlist, since Dovecot keeps its own in index files we do not write. The file is ours alone; Dovecot ignores it.
/// <code>
/// mailops-modseq 1 V&lt;uidvalidity&gt; H&lt;highest modseq when written whole&gt; E&lt;expunge horizon&gt;
/// M &lt;uid&gt; &lt;modseq&gt; :&lt;flag letters&gt;     the message's state (its file name's :2, letters, sorted) as of modseq
/// X &lt;uid&gt; &lt;modseq&gt;                     the message was expunged at modseq
/// </code>
/// R &lt;modseq&gt;                         every modseq up to this one may have been handed out (a reservation)
/// Lines are only appended, always under the uidlist dotlock; the last line for a UID wins, and a line without its line
/// end (a crash while writing) is not read and is cut off by the next writer. Not every line is fsynced (Dovecot does not
/// fsync its index either): a modseq beyond the last reservation first appends a new one <see cref="ReserveStep"/> higher,
/// fsynced (<see cref="FlushToDisk"/>, after the lock is let go) before that modseq is reported. A process that reads the
/// file afresh (a restart, perhaps after a crash that lost lines) gives its first modseq above the reservation, so a
/// modseq once reported is never given again. What a power loss can undo is the change itself, as with Dovecot: a flag
/// rename and its M line both lost leave the message with its earlier flags and modseq.
/// When it grows to twice what it describes it is written whole (temp file, fsync, rename), keeping the last
/// <see cref="MaxExpunged"/> expunges; expunges at or below the horizon E are forgotten (RFC 7162 3.2.5.1 lets the
/// server then report every UID the client knows that is gone).
/// Flags changed behind our back (Dovecot, a mail program renaming the file) are seen as letters that differ from the
/// M line, and get a new modseq at the next listing. When the file is missing (for a folder that had messages),
/// unreadable or for another UIDVALIDITY, it is rebuilt starting from the current time in microseconds since 1970, so
/// HIGHESTMODSEQ does not go backwards unless more than a million changes a second happened since the last rebuild or
/// the clock went back; every message then gets a new modseq and clients resynchronise all flags.
/// </summary>
internal sealed class ModSeqFile
{
    /// <summary>The file name in the folder's directory.</summary>
    public const string FileName = "mailops-modseq";

    /// <summary>How many expunged UIDs are remembered for VANISHED (EARLIER) when the file is written whole.</summary>
    public const int MaxExpunged = 10_000;

    /// <summary>How far past the highest modseq a reservation reaches: one fsync for this many changes of a folder.</summary>
    public const ulong ReserveStep = 1000;

    private const string Magic = "mailops-modseq 1";
    // Folders whose file this process keeps in memory; past this the cache starts again. Safe at any moment: every writer
    // reads the file again under the uidlist lock, and an instance still in use goes on working on its own.
    private const int MaxCachedFolders = 4096;
    private static readonly ConcurrentDictionary<string, ModSeqFile> Cached = new(StringComparer.Ordinal);

    private readonly object _gate = new();
    private readonly string _path;
    private readonly Dictionary<uint, (ulong ModSeq, string State)> _messages = [];
    private readonly List<(uint Uid, ulong ModSeq)> _expunged = [];
    private readonly List<string> _pending = [];
    private readonly Dictionary<uint, (ulong ModSeq, string? State)> _pendingState = [];
    private FileStatus? _identity;
    private long _length;
    // Appends not yet fsynced: how many were made, and how many of them an fsync has covered.
    private long _appended;
    private long _flushed;
    private int _lines;
    private bool _valid;
    private bool _rewrite;
    private uint _uidValidity;
    private ulong _highest;
    private ulong _horizon;
    private ulong _pendingHighest;
    // The reservation in the file (appended, fsynced by the next FlushToDisk), one waiting to be appended, and the one
    // found when the file was read afresh: the first modseq given after that is above it.
    private ulong _reserved;
    private ulong _pendingReserve;
    private ulong _floorAfterLoad;

    private ModSeqFile(string path) => _path = path;

    /// <summary>The one instance for the folder at <paramref name="folderPath"/> in this process.</summary>
    public static ModSeqFile Of(string folderPath)
    {
        var path = Path.GetFullPath(folderPath);
        if (Cached.TryGetValue(path, out var known)) return known;
        if (Cached.Count >= MaxCachedFolders) Cached.Clear();
        return Cached.GetOrAdd(path, p => new ModSeqFile(Path.Combine(p, FileName)));
    }

    /// <summary>Forgets what this process read of every folder's file, as a restart of the server does.</summary>
    internal static void ForgetCached() => Cached.Clear();

    /// <summary>The highest modseq given (HIGHESTMODSEQ, RFC 7162 3.1.2.1).</summary>
    public ulong Highest
    {
        get
        {
            lock (_gate) return _highest;
        }
    }

    /// <summary>
    /// Reads what was appended since the last look (the whole file when it was replaced); false when the file is missing,
    /// broken or for another UIDVALIDITY, so that a writer must <see cref="Rebuild"/> it.
    /// </summary>
    public bool Refresh(uint? uidValidity)
    {
        lock (_gate)
        {
            // A writer holding the uidlist lock is between Rebuild or Assign and Save: keep its state; it is not on disk yet.
            if (_rewrite || _pendingState.Count > 0) return _valid && (uidValidity is null || _uidValidity == uidValidity);
            FileStatus? status;
            try
            {
                status = Posix.Stat(_path, followSymlinks: true);
            }
            catch (IOException)
            {
                status = null;
            }
            if (status is not { } now)
            {
                _valid = false;
                _identity = null;
                return false;
            }
            if (_identity is not { } known || known.Inode != now.Inode || known.Device != now.Device || now.Size < _length || !_valid)
            {
                Clear();
                _identity = now;
                ParseFrom(0);
            }
            else if (now.Size > _length)
            {
                ParseFrom(_length);
            }
            return _valid && (uidValidity is null || _uidValidity == uidValidity);
        }
    }

    /// <summary>The modseq and flag letters recorded for <paramref name="uid"/>; false when none is.</summary>
    public bool TryGet(uint uid, out ulong modSeq, out string state)
    {
        lock (_gate)
        {
            if (_messages.TryGetValue(uid, out var entry))
            {
                (modSeq, state) = entry;
                return true;
            }
            (modSeq, state) = (0, "");
            return false;
        }
    }

    /// <summary>How many UIDs are recorded as present.</summary>
    public int PresentCount
    {
        get
        {
            lock (_gate) return _messages.Count;
        }
    }

    /// <summary>The UIDs recorded as present.</summary>
    public List<uint> PresentUids()
    {
        lock (_gate) return [.. _messages.Keys];
    }

    /// <summary>
    /// The UIDs expunged after <paramref name="modSeq"/>, ascending; null when expunges that old are forgotten (the file
    /// was rebuilt or trimmed since).
    /// </summary>
    public List<uint>? ExpungedSince(ulong modSeq)
    {
        lock (_gate)
        {
            if (!_valid || modSeq < _horizon) return null;
            return _expunged.Where(e => e.ModSeq > modSeq).Select(e => e.Uid).Distinct().Order().ToList();
        }
    }

    /// <summary>
    /// Starts the file anew for <paramref name="uidValidity"/> (the caller holds the uidlist dotlock). A
    /// <paramref name="fresh"/> folder (its uidlist was just created) starts at 1 (RFC 7162 7: HIGHESTMODSEQ is at least 1);
    /// otherwise from the clock, and never below what a readable old file said for the same UIDVALIDITY.
    /// </summary>
    public void Rebuild(uint uidValidity, bool fresh)
    {
        lock (_gate)
        {
            var floor = fresh ? 1 : Math.Max((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000, _uidValidity == uidValidity ? _highest : 0);
            Clear();
            _uidValidity = uidValidity;
            _highest = floor;
            _horizon = floor;
            _valid = true;
            _rewrite = true;
        }
    }

    /// <summary>Gives <paramref name="uid"/>, now with flag letters <paramref name="state"/>, the next modseq (written by <see cref="Save"/>).</summary>
    public ulong Assign(uint uid, string state) => Add(uid, state);

    /// <summary>Records <paramref name="uid"/> as expunged with the next modseq (written by <see cref="Save"/>).</summary>
    public ulong Expunge(uint uid) => Add(uid, null);

    private ulong Add(uint uid, string? state)
    {
        lock (_gate)
        {
            var modSeq = Math.Max(Math.Max(_highest, _pendingHighest), _floorAfterLoad) + 1;
            _pendingHighest = modSeq;
            if (modSeq > Math.Max(_reserved, _pendingReserve))
            {
                _pendingReserve = modSeq + ReserveStep;
                _pending.Add(string.Create(CultureInfo.InvariantCulture, $"R {_pendingReserve}\n"));
            }
            _pendingState[uid] = (modSeq, state);
            _pending.Add(state is null
                ? string.Create(CultureInfo.InvariantCulture, $"X {uid} {modSeq}\n")
                : string.Create(CultureInfo.InvariantCulture, $"M {uid} {modSeq} :{state}\n"));
            return modSeq;
        }
    }

    /// <summary>
    /// Writes what <see cref="Assign"/> and <see cref="Expunge"/> recorded (the caller holds the uidlist dotlock): appended,
    /// or the whole file (always fsynced) when it was rebuilt or has grown too long. Without <paramref name="flushToDisk"/>
    /// an append is not fsynced: the caller calls <see cref="FlushToDisk"/> before it reports the new mod-sequences.
    /// </summary>
    public void Save(MaildirOwner? owner, bool flushToDisk = true)
    {
        lock (_gate)
        {
            if (_pending.Count == 0 && !_rewrite) return;
            try
            {
                foreach (var (uid, (modSeq, state)) in _pendingState.OrderBy(p => p.Value.ModSeq)) Apply(uid, modSeq, state);
                if (_rewrite || _lines + _pending.Count > 2 * (_messages.Count + _expunged.Count) + 1024) WriteWhole(owner);
                else Append(flushToDisk);
                _reserved = Math.Max(_reserved, _pendingReserve);
            }
            catch (Exception e)
            {
                // What is in memory may now differ from the file: read it again next time.
                _identity = null;
                _valid = false;
                if (e is IOException or UnauthorizedAccessException)
                    throw new MailStoreException($"Could not write {_path}: {e.Message}", isTransient: true, e);
                throw;
            }
            finally
            {
                _pending.Clear();
                _pendingState.Clear();
                _pendingHighest = 0;
                _pendingReserve = 0;
            }
        }
    }

    /// <summary>Forgets what <see cref="Assign"/> and <see cref="Expunge"/> recorded and <see cref="Save"/> did not write.</summary>
    public void Discard()
    {
        lock (_gate)
        {
            _pending.Clear();
            _pendingState.Clear();
            _pendingHighest = 0;
            _pendingReserve = 0;
        }
    }

    /// <summary>The flag letters of a Maildir file name as recorded here: those after ":2,", sorted.</summary>
    public static string StateOf(string fileName)
    {
        var info = fileName.IndexOf(":2,", StringComparison.Ordinal);
        if (info < 0) return "";
        var letters = fileName[(info + 3)..].ToCharArray();
        Array.Sort(letters);
        return new string(letters);
    }

    private void Apply(uint uid, ulong modSeq, string? state)
    {
        if (state is null)
        {
            _messages.Remove(uid);
            _expunged.Add((uid, modSeq));
        }
        else _messages[uid] = (modSeq, state);
        _highest = Math.Max(_highest, modSeq);
    }

    /// <summary>
    /// fsync(2) of the file when a reservation appended since the last one was not fsynced: every line appended before it
    /// is then on disk. Called after the uidlist lock is let go, so that writers do not wait on each other's fsyncs.
    /// </summary>
    public void FlushToDisk()
    {
        long target;
        lock (_gate)
        {
            if (_flushed >= _appended) return;
            target = _appended;
        }
        try
        {
            using (var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                RandomAccess.FlushToDisk(handle);
            lock (_gate) _flushed = Math.Max(_flushed, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MailStoreException($"Could not write {_path}: {e.Message}", isTransient: true, e);
        }
    }

    private void Append(bool flushToDisk)
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        // A line a crashed writer did not finish is cut off; we hold the lock, so no one is writing it now.
        if (stream.Length != _length) stream.SetLength(_length);
        stream.Seek(_length, SeekOrigin.Begin);
        var bytes = Encoding.ASCII.GetBytes(string.Concat(_pending));
        stream.Write(bytes);
        stream.Flush(flushToDisk);
        // Only a new reservation must reach the disk before its modseqs are reported; the other lines may be lost.
        if (!flushToDisk && _pendingReserve > _reserved) _appended++;
        _length += bytes.Length;
        _lines += _pending.Count;
        _identity = Posix.Stat(_path, followSymlinks: true);
    }

    private void WriteWhole(MaildirOwner? owner)
    {
        if (_expunged.Count > MaxExpunged)
        {
            var dropped = _expunged.Count - MaxExpunged;
            _horizon = Math.Max(_horizon, _expunged.Take(dropped).Max(e => e.ModSeq));
            _expunged.RemoveRange(0, dropped);
        }
        var text = new StringBuilder();
        var reserve = Math.Max(Math.Max(_reserved, _pendingReserve), _highest);
        text.Append(CultureInfo.InvariantCulture, $"{Magic} V{_uidValidity} H{_highest} E{_horizon} R{reserve}\n");
        foreach (var (uid, (modSeq, state)) in _messages.OrderBy(m => m.Key)) text.Append(CultureInfo.InvariantCulture, $"M {uid} {modSeq} :{state}\n");
        foreach (var (uid, modSeq) in _expunged) text.Append(CultureInfo.InvariantCulture, $"X {uid} {modSeq}\n");
        var temp = _path + ".tmp";
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        if (owner is { } o) Posix.Chown(temp, o.Uid, o.Gid);
        File.Move(temp, _path, overwrite: true);
        Posix.FsyncDirectory(Path.GetDirectoryName(_path)!);
        _identity = Posix.Stat(_path, followSymlinks: true);
        _length = bytes.Length;
        _lines = 1 + _messages.Count + _expunged.Count;
        _reserved = reserve;
        _rewrite = false;
    }

    private void Clear()
    {
        _messages.Clear();
        _expunged.Clear();
        _pending.Clear();
        _pendingState.Clear();
        _pendingHighest = 0;
        _pendingReserve = 0;
        _reserved = 0;
        _floorAfterLoad = 0;
        _length = 0;
        _lines = 0;
        _valid = false;
        _uidValidity = 0;
        _highest = 0;
        _horizon = 0;
    }

    // Reads the complete lines from offset on; a broken header leaves the file invalid (to be rebuilt), a broken line is skipped.
    private void ParseFrom(long offset)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(offset, SeekOrigin.Begin);
            bytes = new byte[stream.Length - offset];
            stream.ReadExactly(bytes);
        }
        catch (IOException)
        {
            _valid = false;
            return;
        }
        var complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        var text = Encoding.ASCII.GetString(bytes, 0, complete);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var first = 0;
        if (offset == 0)
        {
            if (lines.Length == 0 || !TryParseHeader(lines[0]))
            {
                _valid = false;
                return;
            }
            first = 1;
            _valid = true;
        }
        for (var i = first; i < lines.Length; i++)
        {
            var fields = lines[i].Split(' ');
            if (fields.Length == 2 && fields[0] == "R" && ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var reserved))
            {
                _reserved = Math.Max(_reserved, reserved);
                continue;
            }
            if (fields.Length < 3 || !uint.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                || !ulong.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var modSeq)) continue;
            if (fields[0] == "M" && fields.Length == 4 && fields[3].StartsWith(':')) Apply(uid, modSeq, fields[3][1..]);
            else if (fields[0] == "X" && fields.Length == 3) Apply(uid, modSeq, null);
        }
        _length = offset + complete;
        _lines += lines.Length;
        // Read afresh: lines after the last fsync may have been lost in a crash, with modseqs up to the reservation
        // already reported; the next one given is above it.
        if (offset == 0) _floorAfterLoad = _reserved;
    }

    private bool TryParseHeader(string line)
    {
        if (!line.StartsWith(Magic + " ", StringComparison.Ordinal)) return false;
        foreach (var field in line[(Magic.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = field[1..];
            switch (field[0])
            {
                case 'V' when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v): _uidValidity = v; break;
                case 'H' when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var h): _highest = h; break;
                case 'E' when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var e): _horizon = e; break;
                case 'R' when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var r): _reserved = r; break;
                default: return false;
            }
        }
        return _uidValidity != 0;
    }
}
