namespace MailOps.Logs;

/// <summary>Traffic in one hour of the day, summed over all days in the log (pflogsumm's "Per-Hour Traffic Summary").</summary>
/// <param name="Hour">0 to 23, the hour as written in the log.</param>
/// <param name="Received">Messages received.</param>
/// <param name="Delivered">Recipients delivered.</param>
/// <param name="Deferred">Deferrals.</param>
/// <param name="Bounced">Bounces.</param>
/// <param name="Rejected">Rejects, reject warnings, holds and discards.</param>
public sealed record MailLogHourTraffic(int Hour, long Received, long Delivered, long Deferred, long Bounced, long Rejected);
