namespace MailOps.Logs;

/// <summary>Log files on this machine.</summary>
public sealed class LocalMailLogSource : IMailLogSource
{
    /// <summary>The one instance.</summary>
    public static LocalMailLogSource Instance { get; } = new();

    /// <inheritdoc />
    public string ComputerName { get; } = Environment.MachineName;

    /// <inheritdoc />
    public IReadOnlyList<MailLogFile> FindRotations(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        var name = System.IO.Path.GetFileName(full);
        if (!Directory.Exists(dir)) return [];
        var files = Directory.EnumerateFiles(dir, name + "*")
            .Where(f => f == full || MailLogRotation.BaseNameOf(f) == full)
            .Select(Describe);
        return MailLogRotation.InTimeOrder(files);
    }

    /// <inheritdoc />
    public IReadOnlyList<MailLogFile> Resolve(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var name = System.IO.Path.GetFileName(full);
        if (name.IndexOfAny(['*', '?']) < 0) return File.Exists(full) ? [Describe(full)] : [];
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) return [];
        return MailLogRotation.InTimeOrder(Directory.EnumerateFiles(dir, name).Order(StringComparer.Ordinal).Select(Describe));
    }

    /// <inheritdoc />
    public Stream OpenRead(MailLogFile file) =>
        // ReadWrite sharing: the daemon keeps appending while we read.
        new FileStream(file.Path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 1 << 16 });

    private static MailLogFile Describe(string path)
    {
        var info = new FileInfo(path);
        return new MailLogFile(info.FullName, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero), path.EndsWith(".gz", StringComparison.Ordinal));
    }
}
