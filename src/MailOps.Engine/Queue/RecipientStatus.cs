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

    /// <summary>
    /// Handed to the mailbox store and not yet confirmed (written by earlier versions; delivery now treats every open
    /// recipient of a message it finds in active as this): the mailbox is checked for the copy before trying again.
    /// </summary>
    Delivering,
}
