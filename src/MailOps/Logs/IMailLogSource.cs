namespace MailOps.Logs;

/// <summary>
/// Where log files are found and read: this machine (<see cref="LocalMailLogSource"/>) or, through a host session, another
/// one. The parser only ever sees a <see cref="Stream"/>, so every source gives the same entries.
/// </summary>
public interface IMailLogSource
{
    /// <summary>The machine the files are on, stamped on every entry as <see cref="MailLogEntry.ComputerName"/>.</summary>
    string ComputerName { get; }

    /// <summary>The file at <paramref name="path"/> and its rotations (<c>.1</c>, <c>.2.gz</c>, <c>-YYYYMMDD[.gz]</c>), oldest first; empty when none exists.</summary>
    IReadOnlyList<MailLogFile> FindRotations(string path);

    /// <summary>The files a path names, with <c>*</c> and <c>?</c> allowed in the file name; empty when none matches.</summary>
    IReadOnlyList<MailLogFile> Resolve(string path);

    /// <summary>Opens <paramref name="file"/> for reading as stored (the reader decompresses .gz).</summary>
    Stream OpenRead(MailLogFile file);
}
