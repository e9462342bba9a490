namespace MailOps.Logs;

/// <summary>One row of a summary's "by message count" tables: an address, domain or user, its messages and their bytes.</summary>
/// <param name="Name">The sender, recipient, domain or SASL user.</param>
/// <param name="Count">Messages (recipients, for recipient tables).</param>
/// <param name="Bytes">Their size in bytes.</param>
public sealed record MailLogTally(string Name, long Count, long Bytes);
