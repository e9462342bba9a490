namespace MailOps.Engine.Store;

/// <summary>
/// A change one session made to a folder, told to the other sessions watching it (<see cref="IMailFolder.Watch"/>):
/// what IMAP turns into untagged EXISTS, EXPUNGE and FETCH responses (RFC 3501 7.3.1, 7.4.1, 7.4.2).
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Uids">The messages it happened to, ascending.</param>
/// <param name="Messages">
/// For an append or a change of flags, the messages as they are now (one for each UID, in the same order, with their
/// mod-sequences), so that a watching session can take them over without listing the folder; null when not known.
/// </param>
public sealed record MailFolderChange(MailFolderChangeKind Kind, IReadOnlyList<uint> Uids, IReadOnlyList<StoredMessage>? Messages = null);
