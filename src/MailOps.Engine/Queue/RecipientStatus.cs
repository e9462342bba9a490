namespace MailOps.Engine.Queue;

/// <summary>Where delivery to one recipient of a queued message stands.</summary>
public enum RecipientStatus
{
    /// <summary>Not yet attempted.</summary>
    Pending,

    /// <summary>Delivered; nothing more to do for this recipient.</summary>
    Delivered,

    /// <summary>Failed temporarily; will be retried.</summary>
    Deferred,

    /// <summary>Failed permanently; a bounce is due.</summary>
    Bounced,

    /// <summary>Handed to the mailbox store and not yet confirmed: after a crash, delivery checks the mailbox before trying again.</summary>
    Delivering,
}
