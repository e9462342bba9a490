namespace MailOps.Logs;

/// <summary>One row of a summary's problem tables: rejects by type and reason, deferrals and bounces by reason, warnings.</summary>
/// <param name="Category">The table's key: <c>reject RCPT</c>, <c>hold header</c>, the deferring program (<c>smtp</c>), the bouncing relay, the warning's program.</param>
/// <param name="Reason">The reason shortened as pflogsumm shortens it (addresses and remote greetings cut).</param>
/// <param name="Count">How often.</param>
public sealed record MailLogReasonTally(string Category, string Reason, long Count);
