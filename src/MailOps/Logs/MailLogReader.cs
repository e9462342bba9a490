using System.Runtime.CompilerServices;
using System.IO.Compression;
using System.Text;

namespace MailOps.Logs;

/// <summary>
/// Streams typed entries out of log files, one line at a time (nothing is loaded whole): gzip-compressed rotations are
/// decompressed as they are read, and each file's year-less timestamps are dated from its last write time.
/// </summary>
public sealed class MailLogReader
{
    private const int ProgressEvery = 16384;
    private readonly IMailLogSource _source;
    private readonly TimeZoneInfo? _zone;

    /// <summary>A reader of <paramref name="source"/>'s files; syslog times are local to <paramref name="zone"/> (this machine's zone when null).</summary>
    public MailLogReader(IMailLogSource source, TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _zone = zone;
    }

    /// <summary>Raised every few thousand lines and at the end of each file.</summary>
    public event Action<MailLogReadProgress>? Progress;

    /// <summary>The entries of <paramref name="files"/>, in the order given (see <see cref="MailLogRotation.InTimeOrder"/>).</summary>
    public IEnumerable<MailLogEntry> Read(IEnumerable<MailLogFile> files, CancellationToken cancellationToken = default)
    {
        foreach (var file in files)
        {
            using var raw = _source.OpenRead(file);
            using var stream = IsGzip(raw, file) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
            using var text = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
            var clock = new MailLogTimestampReader(file.LastWriteTime, _zone);
            long lines = 0;
            foreach (var entry in Read(text, clock, _source.ComputerName, file.Path, cancellationToken, () =>
                     {
                         if (++lines % ProgressEvery == 0) Progress?.Invoke(new MailLogReadProgress(file, SafePosition(raw), lines));
                     }))
            {
                yield return entry;
            }
            Progress?.Invoke(new MailLogReadProgress(file, file.Length, lines));
        }
    }

    /// <summary>The entries in the lines of <paramref name="reader"/> (lines that are not log lines are skipped).</summary>
    /// <param name="reader">The text.</param>
    /// <param name="clock">Dates the lines (one per file: it carries the year inference).</param>
    /// <param name="computerName">Stamped on each entry.</param>
    /// <param name="source">The file name stamped on each entry, or null.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <param name="onLine">Called for every line read (progress).</param>
    public static IEnumerable<MailLogEntry> Read(TextReader reader, MailLogTimestampReader clock, string? computerName, string? source,
        CancellationToken cancellationToken = default, Action? onLine = null) =>
        new LineEntries(reader, clock, computerName, source, cancellationToken, onLine);

    // A hand-written enumerator rather than an iterator method, so that its MoveNext (the per-line loop) can be
    // compiled optimised at once (see MailLogLineParser); enumerable once, as the lines of a reader are.
    private sealed class LineEntries(TextReader reader, MailLogTimestampReader clock, string? computerName, string? source,
        CancellationToken cancellationToken, Action? onLine) : IEnumerable<MailLogEntry>, IEnumerator<MailLogEntry>
    {
        private readonly MailLogLineParser _parser = new(clock);
        private long _number;

        public MailLogEntry Current { get; private set; } = null!;

        object System.Collections.IEnumerator.Current => Current;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool MoveNext()
        {
            while (reader.ReadLine() is { } line)
            {
                _number++;
                onLine?.Invoke();
                if ((_number & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
                var entry = _parser.Parse(line);
                if (entry is null) continue;
                entry.ComputerName = computerName;
                entry.Source = source;
                entry.LineNumber = _number;
                Current = entry;
                return true;
            }
            return false;
        }

        public IEnumerator<MailLogEntry> GetEnumerator() => this;

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;

        public void Reset() => throw new NotSupportedException();

        public void Dispose() { }
    }

    private static bool IsGzip(Stream stream, MailLogFile file)
    {
        if (!stream.CanSeek) return file.Compressed;
        // RFC 1952 2.3.1: ID1 = 31, ID2 = 139, whatever the file is called.
        Span<byte> magic = stackalloc byte[2];
        var n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private static long SafePosition(Stream stream)
    {
        try { return stream.CanSeek ? stream.Position : 0; }
        catch (NotSupportedException) { return 0; }
    }
}
