using System.Runtime.InteropServices;
using System.Text;

namespace MailOps.Engine.Auth;

/// <summary>
/// Replaces a table file (passwd-file, virtual map) all at once: a temporary file beside it, flushed to disk, given
/// the old file's owner, group and mode, then renamed over it, so a reader (Dovecot's auth process, which runs as
/// the dovecot user; postmap) sees the old file or the new one, never half of one and never one it may not read.
/// </summary>
static class AtomicFile
{
    const int AtFdCwd = -100;
    const int StatxBasicStats = 0x7ff;

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
                    if (Chown(temporary, owner.Uid, owner.Gid) != 0)
                        throw new IOException(
                            $"Cannot give the new {full} the old one's owner {owner.Uid}:{owner.Gid} (errno {Marshal.GetLastPInvokeError()}); not replacing it.");
                    File.SetUnixFileMode(temporary, owner.Mode);
                }
                else
                {
                    File.SetUnixFileMode(temporary, newFileMode);
                }
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    // statx(2) rather than stat(2): its struct has the same layout on every architecture.
    static (uint Uid, uint Gid, UnixFileMode Mode)? OwnerOf(string path)
    {
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, 0, StatxBasicStats, buffer) != 0)
            return null;
        var uid = BitConverter.ToUInt32(buffer, 20);
        var gid = BitConverter.ToUInt32(buffer, 24);
        var mode = (UnixFileMode)(BitConverter.ToUInt16(buffer, 28) & 0xfff);
        return (uid, gid, mode);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int directoryDescriptor, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    static extern int Chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
}
