using System.Globalization;
using System.Text;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Store;

/// <summary>
/// The Maildir++ quota file <c>maildirsize</c> at a Maildir's root, read and kept as Dovecot's quota backend
/// <c>quota = maildir</c> keeps it (quota-maildir.c), so that Dovecot and this server count the same usage: the first
/// line holds the limits (<c>&lt;bytes&gt;S</c>, <c>0S</c> for none), each further line <c>&lt;bytes&gt; &lt;count&gt;</c>
/// is added up. A change is appended as one more line (negative for expunges); the file is summed anew from the
/// folders' S= sizes, and written whole through <c>maildirsize.lock</c>, when it is missing, 5120 bytes or longer,
/// unreadable, names other limits than the user's, or says the user is over the limit while it holds more than the
/// summary line or is older than 15 minutes.
/// </summary>
internal sealed class MaildirQuota
{
    /// <summary>The file's name at the Maildir root.</summary>
    public const string FileName = "maildirsize";

    // quota-maildir.c reads at most 5120 bytes; a longer file is recalculated (the Maildir++ quota rule).
    private const int LongestReadable = 5120;
    // MAILDIRSIZE_STALE_SECS: an over-quota sum in a file older than this is not trusted.
    private static readonly TimeSpan Stale = TimeSpan.FromMinutes(15);

    private readonly Maildir _maildir;

    /// <summary>The user's limit in bytes; null when there is none.</summary>
    public long? StorageLimit { get; }

    public MaildirQuota(Maildir maildir, long? storageLimit)
    {
        _maildir = maildir;
        StorageLimit = storageLimit is > 0 ? storageLimit : null;
    }

    private string FilePath => Path.Combine(_maildir.Root, FileName);

    /// <summary>The usage from the file, summed anew when the file cannot be trusted.</summary>
    public async Task<MailQuotaUsage> GetUsageAsync(CancellationToken cancellationToken)
    {
        var (bytes, count) = Read() ?? await RecalculateAsync(cancellationToken).ConfigureAwait(false);
        return new MailQuotaUsage(bytes, count, StorageLimit);
    }

    /// <summary>Throws when <paramref name="bytes"/> more would take the user over the limit (quota_test_alloc).</summary>
    /// <exception cref="MailQuotaExceededException">They would.</exception>
    public async Task EnsureRoomAsync(long bytes, CancellationToken cancellationToken)
    {
        if (StorageLimit is null) return;
        if (!(await GetUsageAsync(cancellationToken).ConfigureAwait(false)).Allows(bytes)) throw new MailQuotaExceededException();
    }

    /// <summary>
    /// Records a change made to the folders (files already moved in or deleted): one line appended, as maildirsize_update
    /// does, or the whole file summed anew when it cannot be trusted (the sum then already holds the change).
    /// </summary>
    public async Task AddAsync(long bytes, long count, CancellationToken cancellationToken)
    {
        if (bytes == 0 && count == 0) return;
        try
        {
            if (Read() is null)
            {
                await RecalculateAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            // O_APPEND, as Dovecot and the Maildir++ spec rely on: one short write lands whole at the end.
            Posix.AppendToFile(FilePath, Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{bytes} {count}\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The mail is stored (or gone) already; a file that missed the change is summed anew when it is next read
            // over the limit or too long (maildirsize_rebuild_later).
        }
    }

    /// <summary>The sum of the file's lines; null when it must be summed anew.</summary>
    private (long Bytes, long Count)? Read()
    {
        var buffer = new byte[LongestReadable + 1];
        int size = 0;
        DateTime written;
        try
        {
            using var file = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int read;
            while (size < buffer.Length && (read = file.Read(buffer, size, buffer.Length - size)) > 0) size += read;
            written = File.GetLastWriteTimeUtc(FilePath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        if (size >= LongestReadable) return null;
        // A last line without its LF is still being written: it does not count yet.
        var text = Encoding.ASCII.GetString(buffer, 0, size);
        var end = text.LastIndexOf('\n');
        if (end < 0 || text.Contains('\0', StringComparison.Ordinal)) return null;
        var lines = text[..end].Split('\n');
        var (bytesLimit, countLimit) = ParseLimits(lines[0]);
        // The userdb rule "*:storage=" is forced (force_default_rule): a file with other limits is written anew.
        if (bytesLimit != (StorageLimit ?? 0) || countLimit != 0 || lines.Length < 2) return null;
        long bytes = 0, count = 0;
        foreach (var line in lines.AsSpan(1))
        {
            var space = line.IndexOf(' ');
            if (space <= 0
                || !long.TryParse(line.AsSpan(0, space), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b)
                || !long.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c))
                return null;
            bytes += b;
            count += c;
        }
        if (bytes < 0 || count < 0) return null;
        // Over the limit: trusted only from a fresh file with nothing but the summary line.
        if (StorageLimit is { } limit && bytes > limit && (lines.Length > 2 || written < DateTime.UtcNow - Stale)) return null;
        return (bytes, count);
    }

    // maildir_parse_limit: "<n>S" and "<n>C" separated by commas; 0 means none.
    private static (long Bytes, long Count) ParseLimits(string line)
    {
        long bytes = 0, count = 0;
        foreach (var part in line.Split(','))
        {
            if (part.Length < 2 || !long.TryParse(part.AsSpan(0, part.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) continue;
            if (part[^1] == 'S') bytes = value;
            else if (part[^1] == 'C') count = value;
        }
        return (bytes, count);
    }

    /// <summary>
    /// Sums every message of every folder (new/ and cur/: the S= size, else the file's length) and writes the file
    /// anew, unless a folder changed during the sum or someone else holds the lock (maildirsize_recalculate).
    /// </summary>
    private async Task<(long Bytes, long Count)> RecalculateAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_maildir.Root)) return (0, 0);
        var directories = _maildir.ListFolders()
            .SelectMany(f => new[] { Path.Combine(_maildir.FolderPath(f), "new"), Path.Combine(_maildir.FolderPath(f), "cur") })
            .ToList();
        long bytes = 0, count = 0;
        var latest = DateTime.MinValue;
        foreach (var directory in directories)
        {
            var info = new DirectoryInfo(directory);
            if (!info.Exists) continue;
            if (info.LastWriteTimeUtc > latest) latest = info.LastWriteTimeUtc;
            var (b, c) = Sum(info);
            bytes += b;
            count += c;
        }
        // maildirs_check_have_changed: a folder written to during the sum makes the sum unfit to be saved.
        if (directories.Any(d => Directory.Exists(d) && Directory.GetLastWriteTimeUtc(d) > latest)) return (bytes, count);
        try
        {
            using var fileLock = await Dotlock.AcquireAsync(FilePath, DotlockTimeouts.MaildirSize, writePid: false, _maildir.Options.HostName,
                _maildir.Options.Owner, cancellationToken).ConfigureAwait(false);
            fileLock.Replace(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{StorageLimit ?? 0}S\n{bytes} {count}\n")));
        }
        catch (MailStoreException)
        {
            // Someone else is writing it just now (Dovecot returns the same way).
        }
        return (bytes, count);
    }

    /// <summary>The bytes and number of the messages in one new/ or cur/ directory (maildir_sum_dir).</summary>
    internal static (long Bytes, long Count) Sum(DirectoryInfo directory)
    {
        long bytes = 0, count = 0;
        foreach (var file in directory.EnumerateFiles())
        {
            if (MaildirFileName.TryGetSize(file.Name, 'S', out var size))
            {
                bytes += size;
            }
            else
            {
                try
                {
                    bytes += file.Length;
                }
                catch (FileNotFoundException)
                {
                    continue;
                }
            }
            count++;
        }
        return (bytes, count);
    }
}
