namespace MailOps.Engine.Store;

/// <summary>A folder at one moment: what IMAP SELECT reports and the messages in UID order.</summary>
/// <param name="UidValidity">The folder's UIDVALIDITY (RFC 3501 2.3.1.1).</param>
/// <param name="UidNext">The UID the next message will get.</param>
/// <param name="Messages">The messages, in ascending UID order.</param>
public sealed record MailFolderSnapshot(uint UidValidity, uint UidNext, IReadOnlyList<StoredMessage> Messages)
{
    /// <summary>The highest mod-sequence given in the folder (RFC 7162 3.1.2.1 HIGHESTMODSEQ), its expunges included.</summary>
    public ulong HighestModSeq { get; init; }
}
