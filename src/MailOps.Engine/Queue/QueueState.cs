namespace MailOps.Engine.Queue;

/// <summary>The named states of a queued message; each is a directory under the queue root, as in Postfix.</summary>
public enum QueueState
{
    /// <summary>Just received and made durable; not yet picked up by delivery.</summary>
    Incoming,

    /// <summary>Being delivered now.</summary>
    Active,

    /// <summary>At least one recipient failed temporarily; waits for a retry.</summary>
    Deferred,

    /// <summary>Held by the administrator; never picked up until released.</summary>
    Hold,

    /// <summary>Unreadable or damaged queue files, kept for inspection.</summary>
    Corrupt,
}
