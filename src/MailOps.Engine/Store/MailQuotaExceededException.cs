namespace MailOps.Engine.Store;

/// <summary>
/// A message was not stored because it would take the user over the storage limit. Permanent for this message
/// (Dovecot's default quota_full_tempfail = no): SMTP 5.2.2, IMAP NO [OVERQUOTA] (RFC 9208 4.3, RFC 5530 3).
/// </summary>
public sealed class MailQuotaExceededException : MailStoreException
{
    /// <summary>Dovecot's text for it (quota_exceeded_message).</summary>
    public const string DefaultMessage = "Quota exceeded (mailbox for user is full)";

    /// <summary>Creates the exception.</summary>
    public MailQuotaExceededException()
        : base(DefaultMessage, isTransient: false)
    {
    }
}
