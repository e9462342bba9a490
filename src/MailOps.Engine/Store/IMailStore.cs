namespace MailOps.Engine.Store;

/// <summary>
/// The one storage interface that delivery, IMAP, POP3 and backup talk to (Dovecot's lib-storage idea): it finds a
/// user's mail. <see cref="MaildirStore"/> is the implementation, on Dovecot's own Maildir++ format.
/// </summary>
public interface IMailStore
{
    /// <summary>The mail of <paramref name="user"/> (a login name such as alice@example.com); nothing is created yet.</summary>
    /// <exception cref="ArgumentException">The name cannot name a mailbox (it would leave the store's directory).</exception>
    IMailAccount Open(string user);
}
