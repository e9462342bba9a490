namespace MailOps.Engine.Store;

/// <summary>Where a store learns each user's quota: the users' passwd-file (<c>userdb_quota_rule=*:storage=</c>) in the server.</summary>
public interface IMailQuotaLimits
{
    /// <summary>The storage limit of <paramref name="user"/> in bytes; null when the user has none (or is not known).</summary>
    long? StorageLimitFor(string user);
}
