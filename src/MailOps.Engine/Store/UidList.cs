using System.Globalization;
using System.Text;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Store;

/// <summary>
/// A folder's <c>dovecot-uidlist</c>, the file that gives each Maildir message its IMAP UID
/// (lib-storage/index/maildir/maildir-uidlist.c). Version 3:
/// <code>
/// 3 V&lt;uidvalidity&gt; N&lt;nextuid&gt; G&lt;mailbox guid, 32 hex&gt; [other header fields]
/// &lt;uid&gt; [&lt;key&gt;&lt;value&gt; ...] :&lt;base file name&gt;
/// </code>
/// Dovecot may append records without updating N, so the next UID is the larger of N and the last UID + 1.
/// Change it only under its dotlock (<see cref="Dotlock"/>): a new message is appended (<see cref="Appender"/>), as
/// Dovecot appends; the whole list is written with <see cref="Write"/> only when it must be created or repaired.
/// </summary>
internal sealed class UidList
{
    /// <summary>The file name inside the folder directory.</summary>
    public const string FileName = "dovecot-uidlist";

    private const int Version = 3;
    private readonly List<UidListRecord> _records;
    private readonly Dictionary<string, UidListRecord> _byBaseName;
    private readonly List<string> _otherHeaderFields;

    /// <summary>The folder's IMAP UIDVALIDITY (RFC 3501 2.3.1.1).</summary>
    public uint UidValidity { get; }

    /// <summary>The UID the next new message gets.</summary>
    public uint NextUid { get; private set; }

    /// <summary>The 128-bit mailbox GUID as 32 lower-case hex digits.</summary>
    public string MailboxGuid { get; }

    /// <summary>The records in UID order.</summary>
    public IReadOnlyList<UidListRecord> Records => _records;

    private UidList(uint uidValidity, uint nextUid, string mailboxGuid, List<string> otherHeaderFields, List<UidListRecord> records)
    {
        UidValidity = uidValidity;
        NextUid = nextUid;
        MailboxGuid = mailboxGuid;
        _otherHeaderFields = otherHeaderFields;
        _records = records;
        _byBaseName = new Dictionary<string, UidListRecord>(StringComparer.Ordinal);
        foreach (var record in records) _byBaseName[record.BaseName] = record;
    }

    /// <summary>An empty list for a folder that has none yet.</summary>
    public static UidList Create(uint uidValidity) =>
        new(uidValidity, 1, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), [], []);

    /// <summary>Reads the uidlist of the folder at <paramref name="folderPath"/>; null when there is none (or not even a whole header).</summary>
    /// <exception cref="MailStoreException">The file is not a uidlist Dovecot would accept.</exception>
    public static UidList? Read(string folderPath)
    {
        var path = Path.Combine(folderPath, FileName);
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        return text.Contains('\n') ? Parse(text, path) : null;
    }

    /// <summary>
    /// Parses uidlist text (versions 3 and 1, as Dovecot reads them). A last line without its newline is one Dovecot
    /// is still appending, and is left for the next read, as Dovecot's own reader does.
    /// </summary>
    public static UidList Parse(string text, string path)
    {
        var lines = text[..(text.LastIndexOf('\n') + 1)].Split('\n');
        var header = lines[0];
        if (header.Length < 2 || !char.IsAsciiDigit(header[0]) || header[1] != ' ')
            throw Broken(path, 1, "invalid version number");
        var version = header[0] - '0';
        uint uidValidity = 0, nextUid = 0;
        var guid = "";
        var others = new List<string>();
        if (version == Version)
        {
            foreach (var field in header[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                switch (field[0])
                {
                    case 'V': uidValidity = ParseUInt(field[1..]); break;
                    case 'N': nextUid = ParseUInt(field[1..]); break;
                    case 'G': guid = field[1..]; break;
                    default: others.Add(field); break;
                }
            }
            if (guid.Length != 32 || !guid.All(char.IsAsciiHexDigit)) guid = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        }
        else if (version == 1)
        {
            var parts = header[2..].Split(' ');
            if (parts.Length >= 2) { uidValidity = ParseUInt(parts[0]); nextUid = ParseUInt(parts[1]); }
            guid = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        }
        else
        {
            throw Broken(path, 1, $"unsupported version {version}");
        }
        if (uidValidity == 0 || nextUid == 0) throw Broken(path, 1, $"uidvalidity = {uidValidity}, next_uid = {nextUid}");

        var records = new List<UidListRecord>();
        uint previous = 0;
        for (var n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0) continue;
            var record = ParseRecord(lines[n], version, path, n + 1);
            if (record.Uid <= previous) throw Broken(path, n + 1, $"UIDs not ordered ({record.Uid} >= {previous})");
            previous = record.Uid;
            records.Add(record);
        }
        // A file listed twice keeps its later UID, as Dovecot does ("Duplicate file entry").
        var seen = new HashSet<string>(StringComparer.Ordinal);
        records = records.AsEnumerable().Reverse().Where(r => seen.Add(r.BaseName)).Reverse().ToList();
        if (nextUid <= previous) nextUid = previous + 1;
        return new UidList(uidValidity, nextUid, guid, others, records);
    }

    /// <summary>The record of the message whose base name is <paramref name="baseName"/>, or null.</summary>
    public UidListRecord? Find(string baseName) => _byBaseName.GetValueOrDefault(baseName);

    /// <summary>The record of message <paramref name="uid"/>, or null.</summary>
    public UidListRecord? Find(uint uid)
    {
        var lo = 0;
        var hi = _records.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            var at = _records[mid].Uid;
            if (at == uid) return _records[mid];
            if (at < uid) lo = mid + 1;
            else hi = mid - 1;
        }
        return null;
    }

    /// <summary>Drops the records <paramref name="match"/> picks (messages gone); NextUid stays. Returns how many.</summary>
    public int RemoveWhere(Func<UidListRecord, bool> match)
    {
        var gone = _records.Where(match).ToHashSet();
        foreach (var record in gone) _byBaseName.Remove(record.BaseName);
        _records.RemoveAll(gone.Contains);
        return gone.Count;
    }

    /// <summary>Gives the file <paramref name="baseName"/> the next UID and returns its record.</summary>
    public UidListRecord Append(string baseName)
    {
        var record = new UidListRecord(NextUid, [], baseName);
        _records.Add(record);
        _byBaseName[baseName] = record;
        NextUid++;
        return record;
    }

    /// <summary>A copy of this list with <paramref name="baseNames"/> appended from UID <paramref name="first"/> on, as <see cref="Appender.Append"/> wrote them.</summary>
    public UidList WithAppended(uint first, IReadOnlyList<string> baseNames)
    {
        var records = new List<UidListRecord>(_records.Count + baseNames.Count);
        records.AddRange(_records);
        for (var i = 0; i < baseNames.Count; i++) records.Add(new UidListRecord(first + (uint)i, [], baseNames[i]));
        return new UidList(UidValidity, Math.Max(NextUid, first + (uint)baseNames.Count), MailboxGuid, _otherHeaderFields, records);
    }

    /// <summary>The file's text, in the form maildir_uidlist_write_fd writes.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Version} V{UidValidity} N{NextUid} G{MailboxGuid}");
        foreach (var field in _otherHeaderFields) text.Append(' ').Append(field);
        text.Append('\n');
        foreach (var record in _records)
        {
            text.Append(record.Uid.ToString(CultureInfo.InvariantCulture));
            foreach (var extension in record.Extensions) text.Append(' ').Append(extension);
            text.Append(" :").Append(record.BaseName).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// Writes the list as maildir_uidlist_recreate does: into <c>dovecot-uidlist.tmp</c>, fdatasync, then renamed
    /// over <c>dovecot-uidlist</c>, so a reader sees the old file or the new one, never half of one.
    /// The caller holds the dotlock.
    /// </summary>
    public void Write(string folderPath, MaildirOwner? owner)
    {
        var path = Path.Combine(folderPath, FileName);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.UTF8.GetBytes(Render()));
            stream.Flush(flushToDisk: true);
        }
        if (owner is { } o) Posix.Chown(temp, o.Uid, o.Gid);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Appends new records to the end of the file, as maildir_uidlist_sync_finish does when the list only grows: it reads
    /// just the header and the last line, never the whole list, so a delivery costs the same however full the folder.
    /// The caller holds the dotlock.
    /// </summary>
    public sealed class Appender : IDisposable
    {
        // Longer lines (huge extension fields) are left to the full rewrite.
        private const int TailBytes = 8192;
        private readonly FileStream _stream;

        private Appender(FileStream stream, uint uidValidity, uint nextUid)
        {
            _stream = stream;
            UidValidity = uidValidity;
            NextUid = nextUid;
        }

        /// <summary>The folder's UIDVALIDITY, from the header.</summary>
        public uint UidValidity { get; }

        /// <summary>The UID <see cref="Append"/> gives next.</summary>
        public uint NextUid { get; private set; }

        /// <summary>
        /// Opens the folder's uidlist for appending; null when it has to be read and written whole instead (it is
        /// missing, not version 3, has a broken header, or ends in a line someone did not finish).
        /// </summary>
        public static Appender? Open(string folderPath)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(Path.Combine(folderPath, FileName), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            try
            {
                if (ReadHeaderAndNextUid(stream) is { } next) return new Appender(stream, next.UidValidity, next.NextUid);
            }
            catch (IOException)
            {
            }
            stream.Dispose();
            return null;
        }

        /// <summary>
        /// Appends <c>&lt;uid&gt; :&lt;baseName&gt;</c> for each file, in one write, and fsyncs once: the UID a client may
        /// have seen must not come back after a crash. Returns the first file's UID; the others follow it.
        /// </summary>
        public uint Append(IEnumerable<string> baseNames)
        {
            var first = NextUid;
            var uid = first;
            var lines = new StringBuilder();
            foreach (var baseName in baseNames) lines.Append(CultureInfo.InvariantCulture, $"{uid++} :{baseName}\n");
            _stream.Seek(0, SeekOrigin.End);
            _stream.Write(Encoding.UTF8.GetBytes(lines.ToString()));
            _stream.Flush(flushToDisk: true);
            NextUid = uid;
            return first;
        }

        /// <inheritdoc />
        public void Dispose() => _stream.Dispose();

        private static (uint UidValidity, uint NextUid)? ReadHeaderAndNextUid(FileStream stream)
        {
            var length = stream.Length;
            if (length < 2) return null;
            var head = new byte[(int)Math.Min(length, TailBytes)];
            stream.ReadExactly(head);
            var headerEnd = Array.IndexOf(head, (byte)'\n');
            if (headerEnd < 0) return null;
            var header = Encoding.UTF8.GetString(head, 0, headerEnd);
            if (!header.StartsWith("3 ", StringComparison.Ordinal)) return null;
            uint uidValidity = 0, nextUid = 0;
            foreach (var field in header[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (field[0] == 'V') uidValidity = ParseUInt(field[1..]);
                else if (field[0] == 'N') nextUid = ParseUInt(field[1..]);
            }
            if (uidValidity == 0 || nextUid == 0) return null;

            var tailStart = Math.Max(0, length - TailBytes);
            var tail = new byte[(int)(length - tailStart)];
            stream.Seek(tailStart, SeekOrigin.Begin);
            stream.ReadExactly(tail);
            if (tail[^1] != (byte)'\n') return null;
            var lineStart = Array.LastIndexOf(tail, (byte)'\n', tail.Length - 2) + 1;
            if (lineStart == 0 && tailStart > 0) return null;
            if (tailStart + lineStart == 0) return (uidValidity, nextUid); // only the header
            uint lastUid = 0;
            for (var i = lineStart; i < tail.Length && tail[i] is >= (byte)'0' and <= (byte)'9'; i++)
                lastUid = checked(lastUid * 10 + (uint)(tail[i] - '0'));
            if (lastUid == 0) return null;
            return (uidValidity, Math.Max(nextUid, lastUid + 1));
        }
    }

    private static UidListRecord ParseRecord(string line, int version, string path, int lineNumber)
    {
        var i = 0;
        uint uid = 0;
        while (i < line.Length && char.IsAsciiDigit(line[i]))
        {
            uid = checked(uid * 10 + (uint)(line[i] - '0'));
            i++;
        }
        if (uid == 0 || i >= line.Length || line[i] != ' ') throw Broken(path, lineNumber, "invalid data");
        while (i < line.Length && line[i] == ' ') i++;
        var extensions = new List<string>();
        if (version == Version)
        {
            // Extension fields run up to the ':' that starts the file name.
            while (i < line.Length && line[i] != ':')
            {
                var start = i;
                while (i < line.Length && line[i] != ' ') i++;
                extensions.Add(line[start..i]);
                while (i < line.Length && line[i] == ' ') i++;
            }
            if (i < line.Length && line[i] == ':') i++;
        }
        var name = MaildirFileName.BaseOf(line[i..]);
        if (name.Length == 0 || name.Contains('/')) throw Broken(path, lineNumber, $"broken file name '{name}'");
        return new UidListRecord(uid, extensions, name);
    }

    private static uint ParseUInt(string value) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static MailStoreException Broken(string path, int line, string what) =>
        new($"Broken file {path} line {line}: {what}.", isTransient: false);
}

/// <summary>One message in a dovecot-uidlist.</summary>
/// <param name="Uid">Its IMAP UID.</param>
/// <param name="Extensions">Extension fields as written (e.g. <c>W1234</c>, <c>GGUID</c>), kept when the list is rewritten.</param>
/// <param name="BaseName">The Maildir file name up to, not including, ':'.</param>
internal sealed record UidListRecord(uint Uid, IReadOnlyList<string> Extensions, string BaseName);
