namespace MailOps.Engine.Store;

/// <summary>
/// The IMAP system flags (RFC 3501 2.3.2) a stored message carries, kept in the Maildir file name's <c>:2,</c> suffix
/// as the Maildir letters D, F, R, S and T.
/// </summary>
[Flags]
public enum MessageFlags
{
    /// <summary>No flag: a new message, which Maildir keeps in <c>new/</c>.</summary>
    None = 0,
    /// <summary>\Seen, Maildir letter S.</summary>
    Seen = 1,
    /// <summary>\Answered, Maildir letter R (replied).</summary>
    Answered = 2,
    /// <summary>\Flagged, Maildir letter F.</summary>
    Flagged = 4,
    /// <summary>\Deleted, Maildir letter T (trashed).</summary>
    Deleted = 8,
    /// <summary>\Draft, Maildir letter D.</summary>
    Draft = 16,
}
