namespace MailOps.Logs;

/// <summary>bounce: <c>QUEUEID: sender non-delivery notification: NEWQUEUEID</c> (also delay, success and postmaster notifications).</summary>
public sealed class MailLogNotificationEntry : MailLogEntry
{
    /// <summary>The words before <c>notification</c>: <c>sender non-delivery</c>, <c>sender delay</c>, <c>postmaster non-delivery</c>, ...</summary>
    public string Notification { get; init; } = "";

    /// <summary>The queue id of the notification message.</summary>
    public string NotificationQueueId { get; init; } = "";
}
