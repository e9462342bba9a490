namespace MailOps.Engine.Store;

/// <summary>How a <see cref="Maildir"/> writes its files.</summary>
public sealed record MaildirOptions
{
    /// <summary>
    /// The account that owns the Maildir (Dovecot's mail_uid/mail_gid); every file and directory created is given to
    /// it. Null keeps the delivering process's own account.
    /// </summary>
    public MaildirOwner? Owner { get; init; }

    /// <summary>This host's name as gethostname(2) gives it: the host part of new file names and of dotlocks.</summary>
    public string HostName { get; init; } = System.Net.Dns.GetHostName();

    /// <summary>The dovecot-uidlist lock's stale and wait timeouts: Dovecot's 2 minutes, shorter only in tests.</summary>
    internal DotlockTimeouts UidListLockTimeouts { get; init; } = DotlockTimeouts.UidList;

    /// <summary>Called with the tmp/ file's path after it is written and fsynced, before it moves to new/ (tests stop here).</summary>
    internal Func<string, CancellationToken, Task>? BeforeMoveToNew { get; init; }
}
