namespace MailOps.Engine.Store;

/// <summary>
/// A mail store operation failed. <see cref="IsTransient"/> tells a caller whether trying again later may succeed
/// (a lock held too long, a full disk: SMTP 4xx, RFC 5321 4.2.5) or not (a broken file: 5xx until someone repairs it).
/// </summary>
public class MailStoreException : IOException
{
    /// <summary>True when the same operation may succeed later.</summary>
    public bool IsTransient { get; }

    /// <summary>Creates the exception.</summary>
    public MailStoreException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }
}
