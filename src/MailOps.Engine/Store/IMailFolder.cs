namespace MailOps.Engine.Store;

/// <summary>One folder (an IMAP mailbox) of a user's mail: where delivery writes and IMAP and POP3 read.</summary>
public interface IMailFolder
{
    /// <summary>The folder's name, "INBOX" or levels separated by '.', e.g. "Archive.2026".</summary>
    string Name { get; }

    /// <summary>
    /// Stores <paramref name="message"/> (RFC 5322 bytes, CRLF or LF line endings) durably and gives it the next UID.
    /// When this returns, the message survives a crash; when it throws, no part of it is visible.
    /// </summary>
    /// <param name="message">The message, read to its end.</param>
    /// <param name="flags">Flags to store it with (IMAP APPEND); none for a new delivery.</param>
    /// <param name="receivedDate">Its INTERNALDATE; null for now.</param>
    /// <param name="keywords">Keywords to store it with (IMAP APPEND's flag list); they get letters in dovecot-keywords.</param>
    /// <param name="cancellationToken">Stops the delivery; nothing is left behind.</param>
    /// <exception cref="MailQuotaExceededException">It would take the user over the storage limit; nothing is stored.</exception>
    /// <exception cref="MailStoreException">The store could not take it; see <see cref="MailStoreException.IsTransient"/>.</exception>
    Task<StoredMessage> DeliverAsync(Stream message, MessageFlags flags = MessageFlags.None, DateTimeOffset? receivedDate = null,
        IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a message moved here from another folder of the same user (IMAP MOVE, RFC 6851): as
    /// <see cref="DeliverAsync"/>, but never refused for the quota, since the move takes nothing more from it (Dovecot's
    /// quota plugin does not check moves within one quota root either).
    /// </summary>
    Task<StoredMessage> DeliverMovedAsync(Stream message, MessageFlags flags, DateTimeOffset? receivedDate, IReadOnlyCollection<string>? keywords,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Delivers <paramref name="message"/> (a new mail from the queue) as Postfix's local(8) and virtual(8) do: written
    /// and fsynced in tmp/, renamed into new/, new/ fsynced (shared with the deliveries at the same time). It gets no UID
    /// here: the next reader (this server's IMAP or POP3, or Dovecot) numbers it in dovecot-uidlist, as it does any mail
    /// another program delivered; this saves the uidlist lock and its fsync on every message. When this returns, the
    /// message survives a crash; when it throws before the rename, no part of it is visible.
    /// </summary>
    /// <param name="message">The message, read to its end.</param>
    /// <param name="cancellationToken">Stops the delivery; nothing is left behind.</param>
    /// <exception cref="MailQuotaExceededException">It would take the user over the storage limit; nothing is stored.</exception>
    /// <exception cref="MailStoreException">The store could not take it; see <see cref="MailStoreException.IsTransient"/>.</exception>
    Task DeliverNewAsync(Stream message, CancellationToken cancellationToken = default);

    /// <summary>The folder's messages in UID order, after giving UIDs to any message another program put there.</summary>
    Task<MailFolderSnapshot> ListMessagesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens message <paramref name="uid"/> for reading as IMAP and POP3 serve it, with CRLF line endings
    /// (<see cref="StoredMessage.Size"/> bytes); null when there is no such message.
    /// </summary>
    Stream? OpenMessage(uint uid);

    /// <summary>
    /// Opens <paramref name="message"/> (from a snapshot) as <see cref="OpenMessage(uint)"/> does, from the file the
    /// snapshot saw when it is still there (no uidlist read), else looked up again by UID.
    /// </summary>
    Stream? OpenMessage(StoredMessage message);

    /// <summary>
    /// Sets message <paramref name="uid"/>'s flags and keywords to exactly these (IMAP STORE FLAGS, POP3's \Seen after
    /// RETR): the file is renamed into cur/ with the new <c>:2,</c> letters; new keywords get letters in dovecot-keywords.
    /// Returns the message as it is now; null when it no longer exists.
    /// </summary>
    /// <param name="uid">The message.</param>
    /// <param name="flags">Its system flags from now on.</param>
    /// <param name="keywords">Its keywords from now on; null keeps those it has.</param>
    /// <param name="cancellationToken">Stops the wait for the keywords lock.</param>
    Task<StoredMessage?> SetFlagsAsync(uint uid, MessageFlags flags, IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="SetFlagsAsync"/>, only when the message's mod-sequence is still at most <paramref name="unchangedSince"/>
    /// (RFC 7162 3.1.3, STORE UNCHANGEDSINCE), checked and changed under the folder's lock. Returns the message as it is
    /// now (null when it no longer exists) and whether it was left alone because it had changed since.
    /// </summary>
    /// <param name="uid">The message.</param>
    /// <param name="unchangedSince">The mod-sequence the client last knew.</param>
    /// <param name="flags">Its system flags from now on.</param>
    /// <param name="keywords">Its keywords from now on; null keeps those it has.</param>
    /// <param name="cancellationToken">Stops the wait for the locks.</param>
    Task<(StoredMessage? Message, bool Modified)> SetFlagsIfUnchangedAsync(uint uid, ulong unchangedSince, MessageFlags flags,
        IReadOnlyCollection<string>? keywords = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The UIDs expunged after mod-sequence <paramref name="modSeq"/>, ascending (RFC 7162 3.2.5, VANISHED (EARLIER));
    /// null when the folder no longer remembers expunges that old.
    /// </summary>
    IReadOnlyList<uint>? ExpungedSince(ulong modSeq);

    /// <summary>The highest mod-sequence given in the folder so far (RFC 7162 3.1.2.1), without listing it.</summary>
    ulong HighestModSeq();

    /// <summary>
    /// Removes messages for good (IMAP EXPUNGE, POP3's UPDATE state): their files are deleted, then the uidlist is
    /// written anew without them. Returns the UIDs that were removed by this call, ascending.
    /// </summary>
    /// <exception cref="MailStoreException">A file could not be removed; those before it are gone.</exception>
    Task<IReadOnlyList<uint>> ExpungeAsync(IReadOnlyCollection<uint> uids, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the folder for one session alone (POP3's exclusive-access lock, RFC 1939 8); null while another session of
    /// this process holds it. Dispose the result to let it go. Delivery and listing are not blocked.
    /// </summary>
    IDisposable? TryLockSession();

    /// <summary>
    /// Calls <paramref name="onChange"/> for every change another session of this process makes to the folder
    /// (deliveries, appends, expunges, flag changes) until the result is disposed; it runs on the changer's thread, so
    /// keep it short.
    /// </summary>
    IDisposable Watch(Action<MailFolderChange> onChange);

    /// <summary>
    /// A value that differs whenever any program (this one, Dovecot, a shell) added, removed, renamed or numbered a message
    /// since it was taken: for Maildir the modification times of new/, cur/ and the uidlist. A few stat calls, so a session
    /// in IDLE can look often without listing the folder.
    /// </summary>
    (long New, long Cur, long UidList) ChangeStamp();
}
