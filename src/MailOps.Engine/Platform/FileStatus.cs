namespace MailOps.Engine.Platform;

/// <summary>
/// What stat(2) says about a file: its identity as Dovecot's dotlock code compares it (device, inode, size, times in
/// seconds since the epoch), its owner and group, and its permission bits; and the nanoseconds of its modification time.
/// </summary>
internal readonly record struct FileStatus(
    ulong Device, ulong Inode, long Size, long ChangeTime, long ModifyTime, uint Uid, uint Gid, UnixFileMode Mode, uint ModifyNanoseconds = 0)
{
    /// <summary>The modification time as a UTC DateTime (to 100 ns), as FileInfo.LastWriteTimeUtc gives it.</summary>
    public DateTime ModifiedUtc => DateTime.UnixEpoch.AddTicks(ModifyTime * TimeSpan.TicksPerSecond + ModifyNanoseconds / 100);
}
