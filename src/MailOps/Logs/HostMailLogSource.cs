using System.Globalization;
using MailOps.Hosts;

namespace MailOps.Logs;

/// <summary>
/// Log files on another machine, reached through a host session: found with GNU find and read with cat, streamed, so
/// Get-MailLog, Trace-MailMessage and Get-MailLogSummary read a host's log exactly as they read this machine's.
/// </summary>
public sealed class HostMailLogSource : IMailLogSource
{
    private readonly HostConnection _host;

    /// <summary>Files on the machine <paramref name="host"/> reaches.</summary>
    public HostMailLogSource(HostConnection host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
    }

    /// <inheritdoc />
    public string ComputerName => _host.ComputerName;

    /// <inheritdoc />
    public IReadOnlyList<MailLogFile> FindRotations(string path)
    {
        var (directory, name) = Split(path);
        var full = Join(directory, name);
        var files = List(directory, Escape(name) + "*").Where(f => f.Path == full || MailLogRotation.BaseNameOf(f.Path) == full);
        return MailLogRotation.InTimeOrder(files);
    }

    /// <inheritdoc />
    public IReadOnlyList<MailLogFile> Resolve(string path)
    {
        var (directory, name) = Split(path);
        bool wildcard = name.IndexOfAny(['*', '?']) >= 0;
        var files = List(directory, wildcard ? name : Escape(name));
        return wildcard ? MailLogRotation.InTimeOrder(files.OrderBy(f => f.Path, StringComparer.Ordinal)) : files;
    }

    /// <inheritdoc />
    public Stream OpenRead(MailLogFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var running = _host.StartAsync(new HostCommand("cat", "--", file.Path)).GetAwaiter().GetResult();
        return new RemoteFileStream(running);
    }

    private IReadOnlyList<MailLogFile> List(string directory, string pattern)
    {
        // One line per regular file: size, mtime (seconds since the epoch, with a fraction), path.
        var result = _host.RunAsync(new HostCommand("find", directory, "-maxdepth", "1", "-type", "f", "-name", pattern, "-printf", "%s\\t%T@\\t%p\\n"))
            .GetAwaiter().GetResult();
        // find says why on stderr and exits 1 when the directory is missing: no files, as for a local path.
        if (result.ExitCode != 0) return [];
        var files = new List<MailLogFile>();
        foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t', 3);
            if (fields.Length != 3 || !long.TryParse(fields[0], CultureInfo.InvariantCulture, out long size)
                || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
                continue;
            var time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            files.Add(new MailLogFile(fields[2], size, time, fields[2].EndsWith(".gz", StringComparison.Ordinal)));
        }
        return files;
    }

    private static (string Directory, string Name) Split(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int slash = path.LastIndexOf('/');
        return slash switch
        {
            < 0 => (".", path),
            0 => ("/", path[1..]),
            _ => (path[..slash], path[(slash + 1)..]),
        };
    }

    private static string Join(string directory, string name) => directory == "/" ? "/" + name : directory + "/" + name;

    // find -name reads *, ? and [ as patterns; a backslash makes each stand for itself.
    private static string Escape(string name) =>
        string.Concat(name.Select(c => c is '*' or '?' or '[' or ']' or '\\' ? "\\" + c : c.ToString()));

    /// <summary>The output of the remote cat; disposing it ends the command.</summary>
    private sealed class RemoteFileStream(RunningHostCommand running) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => running.Output.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => running.Output.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => running.Output.ReadAsync(buffer, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) running.DisposeAsync().AsTask().GetAwaiter().GetResult();
            base.Dispose(disposing);
        }
    }
}
