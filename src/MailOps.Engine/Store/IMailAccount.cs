namespace MailOps.Engine.Store;

/// <summary>All the folders of one user (Dovecot's mail user with its one namespace; folders separated by '.').</summary>
public interface IMailAccount
{
    /// <summary>The INBOX, which always exists.</summary>
    IMailFolder Inbox { get; }

    /// <summary>
    /// What the user's mail takes up in all folders and the user's storage limit, counted as Dovecot's Maildir++ quota
    /// counts them (the <c>maildirsize</c> file).
    /// </summary>
    Task<MailQuotaUsage> GetQuotaAsync(CancellationToken cancellationToken = default);

    /// <summary>Every folder's name, INBOX first, then the others in ordinal order.</summary>
    IReadOnlyList<string> ListFolders();

    /// <summary>True when folder <paramref name="name"/> exists (INBOX always does).</summary>
    bool FolderExists(string name);

    /// <summary>The existing folder <paramref name="name"/> ("INBOX" in any case is the INBOX).</summary>
    /// <exception cref="MailFolderNotFoundException">There is no such folder.</exception>
    IMailFolder GetFolder(string name);

    /// <summary>Creates folder <paramref name="name"/>, subscribed unless <paramref name="subscribe"/> is false.</summary>
    /// <exception cref="MailFolderExistsException">It exists already.</exception>
    /// <exception cref="ArgumentException">The name is not a valid folder name.</exception>
    Task<IMailFolder> CreateFolderAsync(string name, bool subscribe = true, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes folder <paramref name="name"/> and its messages (RFC 3501 6.3.4); folders below it stay (Maildir++ keeps
    /// each level in its own directory).
    /// </summary>
    /// <exception cref="MailFolderNotFoundException">There is no such folder.</exception>
    /// <exception cref="ArgumentException">The name is INBOX or not a valid folder name.</exception>
    Task DeleteFolderAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Renames folder <paramref name="name"/> and the folders below it to <paramref name="newName"/> (RFC 3501 6.3.5);
    /// messages keep their UIDs and the folder its UIDVALIDITY, as in Dovecot.
    /// </summary>
    /// <exception cref="MailFolderNotFoundException">There is no such folder.</exception>
    /// <exception cref="MailFolderExistsException">A folder named <paramref name="newName"/> exists.</exception>
    /// <exception cref="ArgumentException">Either name is INBOX or not a valid folder name.</exception>
    Task RenameFolderAsync(string name, string newName, CancellationToken cancellationToken = default);

    /// <summary>The names of the subscribed folders (IMAP LSUB), in the order they were subscribed.</summary>
    IReadOnlyList<string> ListSubscriptions();

    /// <summary>Subscribes to <paramref name="name"/> (RFC 3501 6.3.6); the folder need not exist.</summary>
    Task SubscribeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Unsubscribes from <paramref name="name"/> (RFC 3501 6.3.7).</summary>
    Task UnsubscribeAsync(string name, CancellationToken cancellationToken = default);
}
