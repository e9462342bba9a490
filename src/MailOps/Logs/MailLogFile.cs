namespace MailOps.Logs;

/// <summary>One log file a <see cref="IMailLogSource"/> can open: the current log or one of its rotations.</summary>
/// <param name="Path">The file's path on the machine that holds it.</param>
/// <param name="Length">Its size in bytes (compressed size for .gz).</param>
/// <param name="LastWriteTime">When it was last written: no line in it is later, which dates syslog's year-less lines.</param>
/// <param name="Compressed">True for a gzip-compressed rotation (<c>.gz</c>).</param>
public sealed record MailLogFile(string Path, long Length, DateTimeOffset LastWriteTime, bool Compressed)
{
    /// <summary>The name logrotate rotated from: <c>mail.log</c> for <c>mail.log.2.gz</c> and <c>mail.log-20261128</c>.</summary>
    public string BaseName => MailLogRotation.BaseNameOf(Path);
}
