namespace MailOps.Engine.Store;

/// <summary>
/// The system account that owns a user's Maildir (Dovecot's <c>mail_uid</c>/<c>mail_gid</c>): a delivery running as
/// root gives every file and directory it creates to this account, so that Dovecot, which never touches mail as root,
/// can read and change them.
/// </summary>
/// <param name="Uid">The numeric user id.</param>
/// <param name="Gid">The numeric group id.</param>
public readonly record struct MaildirOwner(uint Uid, uint Gid);
