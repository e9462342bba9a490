using System.ComponentModel;
using System.Runtime.InteropServices;

namespace MailOps.Engine.Store;

/// <summary>
/// The few POSIX calls .NET does not offer and a Maildir writer needs: fsync of a directory, chown, the identity of a
/// file (inode, ctime) for Dovecot's dotlock checks, and whether a process is alive. Linux only, like Dovecot's Maildir.
/// </summary>
internal static class Posix
{
    private const int ORdOnly = 0;
    // Same value on x86_64 and aarch64 (O_DIRECTORY is not, so a directory is opened O_RDONLY without it).
    private const int OCloExec = 0x80000;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int ESrch = 3;
    private const int ENoEnt = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

    /// <summary>fsync(2) of a directory, so that a rename into it survives a crash (the Maildir delivery rule).</summary>
    public static void FsyncDirectory(string path)
    {
        var fd = open(path, ORdOnly | OCloExec);
        if (fd < 0) throw Error("open", path);
        try
        {
            if (fsync(fd) < 0) throw Error("fsync", path);
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>Gives <paramref name="path"/> (not a symlink's target) to <paramref name="owner"/>.</summary>
    public static void Chown(string path, MaildirOwner owner)
    {
        if (lchown(path, owner.Uid, owner.Gid) < 0) throw Error("lchown", path);
    }

    /// <summary>kill(pid, 0) as Dovecot uses it: false only when the process certainly does not exist (ESRCH).</summary>
    public static bool ProcessExists(int pid) =>
        kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != ESrch;

    /// <summary>lstat(2) of <paramref name="path"/>; null when it does not exist.</summary>
    public static FileIdentity? Stat(string path)
    {
        // struct statx has the same layout on every architecture, unlike struct stat.
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) < 0)
        {
            if (Marshal.GetLastPInvokeError() == ENoEnt) return null;
            throw Error("statx", path);
        }
        var span = buffer.AsSpan();
        return new FileIdentity(
            Device: ((ulong)BitConverter.ToUInt32(span[136..]) << 32) | BitConverter.ToUInt32(span[140..]),
            Inode: BitConverter.ToUInt64(span[32..]),
            Size: BitConverter.ToInt64(span[40..]),
            ChangeTime: BitConverter.ToInt64(span[96..]),
            ModifyTime: BitConverter.ToInt64(span[112..]),
            Uid: BitConverter.ToUInt32(span[20..]),
            Gid: BitConverter.ToUInt32(span[24..]));
    }

    private static IOException Error(string call, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}({path}) failed: {new Win32Exception(errno).Message}", errno);
    }
}

/// <summary>What stat(2) says about a file, in the fields Dovecot's dotlock code compares (seconds since the epoch).</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, long ChangeTime, long ModifyTime, uint Uid, uint Gid);
