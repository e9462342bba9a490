using System.ComponentModel;
using System.Runtime.InteropServices;

namespace MailOps.Engine.Platform;

/// <summary>
/// The few POSIX calls .NET does not offer and the server needs: fsync of a directory (queue and Maildir), chown, what
/// stat(2) says of a file (Dovecot's dotlock checks, keeping a rewritten table's owner and mode, a key file's group),
/// and whether a process is alive. Linux only, like Dovecot's Maildir.
/// </summary>
internal static unsafe partial class Posix
{
    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    // Same value on x86_64 and aarch64.
    private const int OAppend = 0x400;
    // Same value on x86_64 and aarch64 (O_DIRECTORY is not, so a directory is opened O_RDONLY without it).
    private const int OCloExec = 0x80000;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const int ESrch = 3;
    private const int ENoEnt = 2;
    // RLIMIT_NOFILE is 7 on x86_64 and aarch64 (the generic Linux value).
    private const int RLimitNoFile = 7;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lchown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, ulong* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, ulong* limit);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>
    /// fsync(2) of a directory, so that a rename or create inside it survives a crash (the Maildir delivery rule, the
    /// queue's 250). Does nothing off Linux, where the PowerShell module may still use the queue.
    /// </summary>
    public static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(path, ORdOnly | OCloExec);
        if (fd < 0) throw Error("open", path);
        try
        {
            if (Fsync(fd) < 0) throw Error("fsync", path);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Appends <paramref name="bytes"/> to the existing file <paramref name="path"/> with one write(2) on an O_APPEND
    /// descriptor, so that writers in other processes (Dovecot's maildirsize updates) never overwrite each other, which
    /// .NET's FileMode.Append (a seek to the end) does not promise. False when the file does not exist.
    /// </summary>
    public static bool AppendToFile(string path, ReadOnlySpan<byte> bytes)
    {
        var fd = Open(path, OWrOnly | OAppend | OCloExec);
        if (fd < 0)
        {
            if (Marshal.GetLastPInvokeError() == ENoEnt) return false;
            throw Error("open", path);
        }
        try
        {
            fixed (byte* data = bytes)
            {
                if (Write(fd, data, (nuint)bytes.Length) != bytes.Length) throw Error("write", path);
            }
            return true;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Gives <paramref name="path"/> (not a symlink's target) to user <paramref name="uid"/> and group <paramref name="gid"/>.</summary>
    public static void Chown(string path, uint uid, uint gid)
    {
        if (Lchown(path, uid, gid) < 0) throw Error("lchown", path);
    }

    /// <summary>kill(pid, 0) as Dovecot uses it: false only when the process certainly does not exist (ESRCH).</summary>
    public static bool ProcessExists(int pid) =>
        Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != ESrch;

    /// <summary>
    /// lstat(2) of <paramref name="path"/> (stat(2), of a symlink's target, with <paramref name="followSymlinks"/>);
    /// null when it does not exist.
    /// </summary>
    public static FileStatus? Stat(string path, bool followSymlinks = false)
    {
        // struct statx has the same layout on every architecture, unlike struct stat.
        var buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, followSymlinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) < 0)
        {
            if (Marshal.GetLastPInvokeError() == ENoEnt) return null;
            throw Error("statx", path);
        }
        var span = new ReadOnlySpan<byte>(buffer, StatxSize);
        return new FileStatus(
            Device: ((ulong)BitConverter.ToUInt32(span[136..]) << 32) | BitConverter.ToUInt32(span[140..]),
            Inode: BitConverter.ToUInt64(span[32..]),
            Size: BitConverter.ToInt64(span[40..]),
            ChangeTime: BitConverter.ToInt64(span[96..]),
            ModifyTime: BitConverter.ToInt64(span[112..]),
            Uid: BitConverter.ToUInt32(span[20..]),
            Gid: BitConverter.ToUInt32(span[24..]),
            Mode: (UnixFileMode)(BitConverter.ToUInt16(span[28..]) & 0xfff),
            ModifyNanoseconds: BitConverter.ToUInt32(span[120..]));
    }

    /// <summary>
    /// Raises the soft limit of open files (RLIMIT_NOFILE) to the hard limit when it is lower, as Dovecot's master sets
    /// its processes' fd limits, so that every connection the limits allow can be accepted (the .NET runtime usually did
    /// this already). Returns the soft limit before and after; (0, 0) off Linux or when the limit cannot be read.
    /// </summary>
    public static (ulong Before, ulong After) RaiseOpenFileLimit()
    {
        if (!OperatingSystem.IsLinux()) return (0, 0);
        var limit = stackalloc ulong[2]; // struct rlimit: rlim_cur, rlim_max
        if (GetRLimit(RLimitNoFile, limit) < 0) return (0, 0);
        var before = limit[0];
        if (limit[0] >= limit[1]) return (before, before);
        limit[0] = limit[1];
        if (SetRLimit(RLimitNoFile, limit) < 0) return (before, before);
        return (before, limit[1]);
    }

    private static IOException Error(string call, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}({path}) failed: {new Win32Exception(errno).Message}", errno);
    }
}
