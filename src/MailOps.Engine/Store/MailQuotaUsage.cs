namespace MailOps.Engine.Store;

/// <summary>What a user's mail takes up, counted as Dovecot's Maildir++ quota counts it, and the user's limit.</summary>
/// <param name="Bytes">The bytes of every message of every folder (the files' sizes, the S= field: LF line endings).</param>
/// <param name="Messages">The number of messages in every folder.</param>
/// <param name="StorageLimit">The limit in bytes (the passwd-file's <c>userdb_quota_rule=*:storage=</c>); null when there is none.</param>
public sealed record MailQuotaUsage(long Bytes, long Messages, long? StorageLimit)
{
    /// <summary>True when nothing more fits: the usage has reached the limit (RFC 3463 X.2.2, "mailbox full").</summary>
    public bool IsFull => StorageLimit is { } limit && Bytes >= limit;

    /// <summary>True when <paramref name="bytes"/> more still fit under the limit (Dovecot's quota_test_alloc: used + size &lt;= limit).</summary>
    public bool Allows(long bytes) => StorageLimit is not { } limit || Bytes + bytes <= limit;
}
