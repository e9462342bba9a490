using System.Text;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Auth;

/// <summary>
/// Replaces a table file (passwd-file, virtual map) all at once: a temporary file beside it, flushed to disk, given
/// the old file's owner, group and mode, then renamed over it, so a reader (Dovecot's auth process, which runs as
/// the dovecot user; postmap) sees the old file or the new one, never half of one and never one it may not read.
/// </summary>
static class AtomicFile
{
    public static void Write(string path, string text, UnixFileMode newFileMode)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        var existing = OperatingSystem.IsWindows() ? null : OwnerOf(full);
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(new UTF8Encoding(false).GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows())
            {
                if (existing is { } owner)
                {
                    try
                    {
                        Posix.Chown(temporary, owner.Uid, owner.Gid);
                    }
                    catch (IOException e)
                    {
                        throw new IOException(
                            $"Cannot give the new {full} the old one's owner {owner.Uid}:{owner.Gid} (errno {e.HResult}); not replacing it.", e);
                    }
                    File.SetUnixFileMode(temporary, owner.Mode);
                }
                else
                {
                    File.SetUnixFileMode(temporary, newFileMode);
                }
            }
            KeepMtimeMoving(full, temporary);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    // Dovecot's passwd-file notices a change by mtime (in seconds) and size alone: a same-size change within the second of
    // the last one (a new password hash of the same scheme) gets an mtime one second after the old file's.
    static void KeepMtimeMoving(string full, string temporary)
    {
        if (!File.Exists(full)) return;
        long old = new DateTimeOffset(File.GetLastWriteTimeUtc(full)).ToUnixTimeSeconds();
        long now = new DateTimeOffset(File.GetLastWriteTimeUtc(temporary)).ToUnixTimeSeconds();
        if (now <= old) File.SetLastWriteTimeUtc(temporary, DateTimeOffset.FromUnixTimeSeconds(old + 1).UtcDateTime);
    }

    // The old file's owner, group and mode (of a symlink's target); null when there is none or it cannot be read.
    static FileStatus? OwnerOf(string path)
    {
        try
        {
            return Posix.Stat(path, followSymlinks: true);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
