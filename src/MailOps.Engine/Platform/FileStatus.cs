namespace MailOps.Engine.Platform;

/// <summary>
/// What stat(2) says about a file: its identity as Dovecot's dotlock code compares it (device, inode, size, times in
/// seconds since the epoch), its owner and group, and its permission bits.
/// </summary>
internal readonly record struct FileStatus(
    ulong Device, ulong Inode, long Size, long ChangeTime, long ModifyTime, uint Uid, uint Gid, UnixFileMode Mode);
