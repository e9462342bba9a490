namespace MailOps.Engine.Store;

/// <summary>One message of a folder, as a listing saw it.</summary>
/// <param name="Uid">Its IMAP UID (RFC 3501 2.3.1.1), from dovecot-uidlist.</param>
/// <param name="Size">
/// Its RFC 822 size: the bytes of the message with CRLF line endings, as IMAP's RFC822.SIZE and POP3's LIST report it
/// (the W= field of the file name).
/// </param>
/// <param name="PhysicalSize">The bytes of the file, with LF line endings (the S= field).</param>
/// <param name="Flags">Its system flags, from the file name's :2, suffix.</param>
/// <param name="Keywords">Its keywords (IMAP flags without a backslash), from the suffix's letters and dovecot-keywords.</param>
/// <param name="ReceivedDate">When it arrived: the file's modification time, IMAP's INTERNALDATE.</param>
/// <param name="Path">The file's full path when listed; it moves from new/ to cur/ and changes name with its flags.</param>
public sealed record StoredMessage(
    uint Uid,
    long Size,
    long PhysicalSize,
    MessageFlags Flags,
    IReadOnlyList<string> Keywords,
    DateTimeOffset ReceivedDate,
    string Path)
{
    /// <summary>
    /// The POP3 UIDL saved for it in dovecot-uidlist (the <c>P</c> field, kept from a migration), which Dovecot's POP3
    /// gives instead of its pop3_uidl_format (an empty field means the base file name); null when there is none.
    /// </summary>
    public string? SavedPop3Uidl { get; init; }

    /// <summary>Its mod-sequence (RFC 7162 3.1.1): it rises with every change of its flags; 0 when not known (a new delivery).</summary>
    public ulong ModSeq { get; init; }
}
