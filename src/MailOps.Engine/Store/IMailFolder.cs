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
    /// <param name="cancellationToken">Stops the delivery; nothing is left behind.</param>
    /// <exception cref="MailStoreException">The store could not take it; see <see cref="MailStoreException.IsTransient"/>.</exception>
    Task<StoredMessage> DeliverAsync(Stream message, MessageFlags flags = MessageFlags.None, DateTimeOffset? receivedDate = null,
        CancellationToken cancellationToken = default);

    /// <summary>The folder's messages in UID order, after giving UIDs to any message another program put there.</summary>
    Task<MailFolderSnapshot> ListMessagesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens message <paramref name="uid"/> for reading as IMAP and POP3 serve it, with CRLF line endings
    /// (<see cref="StoredMessage.Size"/> bytes); null when there is no such message.
    /// </summary>
    Stream? OpenMessage(uint uid);
}
