using MailOps.Engine.Store;

namespace MailOps.Engine.Imap;

/// <summary>
/// The QUOTA extension (RFC 9208) as Dovecot's imap_quota plugin answers it with <c>quota = maildir:User quota</c>: every
/// folder has the one root "User quota" when the user has a storage limit, and none otherwise; STORAGE is counted in
/// units of 1024 octets, rounded up; SETQUOTA is refused (only the administrator sets quotas, with Set-MailUser).
/// APPEND and COPY that would go over the limit are refused with [OVERQUOTA] and store nothing; MOVE is never refused,
/// since it takes no more room (Dovecot does not check moves within one quota root either). STATUS answers
/// DELETED-STORAGE, which RFC 9208 5.1 requires with QUOTA=RES-STORAGE (Dovecot 2.3, on RFC 2087, does not).
/// </summary>
internal sealed partial class ImapSession
{
    /// <summary>The name of the one quota root, Dovecot's "User quota".</summary>
    internal const string QuotaRootName = "User quota";

    // RFC 9208 4.3 and RFC 5530 3: the response code, and Dovecot's text.
    private const string OverQuotaResult = "NO [OVERQUOTA] " + MailQuotaExceededException.DefaultMessage + ".";

    // RFC 9208 3.1: QUOTA and one QUOTA=RES-<name> per resource type the server counts.
    private static readonly string[] QuotaCapabilities = ["QUOTA", "QUOTA=RES-STORAGE"];

    // RFC 9208 4.2.5 and 5.1: a server with QUOTA=RES-STORAGE answers STATUS DELETED-STORAGE.
    private const string DeletedStorageItem = "DELETED-STORAGE";

    /// <summary>What an EXPUNGE of the folder would give back: its \Deleted messages' stored sizes, in units of 1024 octets as STORAGE.</summary>
    private static long DeletedStorage(MailFolderSnapshot snapshot) =>
        Kibibytes(snapshot.Messages.Where(m => m.Flags.HasFlag(MessageFlags.Deleted)).Sum(m => m.PhysicalSize));

    private Task<string> QuotaCommandAsync(ImapParser p, string name) => name switch
    {
        "GETQUOTAROOT" => GetQuotaRootAsync(p),
        "GETQUOTA" => GetQuotaAsync(p),
        _ => SetQuotaAsync(p),
    };

    // RFC 9208 4.3.2: the folder's roots, then each root's QUOTA.
    private async Task<string> GetQuotaRootAsync(ImapParser p)
    {
        p.Space();
        var name = MailboxArgument(p);
        p.End();
        if (!_account!.FolderExists(name)) return "NO [NONEXISTENT] Mailbox doesn't exist: " + Printable(name);
        var usage = await _account.GetQuotaAsync(_stopping).ConfigureAwait(false);
        var roots = AString(new ImapResponse().Raw("* QUOTAROOT "), WireName(name));
        // Without a limit there is no root (Dovecot says "OK No quota." with no QUOTA response).
        if (usage.StorageLimit is null)
        {
            await WriteAsync(roots).ConfigureAwait(false);
            return "OK No quota.";
        }
        await WriteAsync(roots.Raw(" ").String(QuotaRootName)).ConfigureAwait(false);
        await WriteQuotaAsync(usage).ConfigureAwait(false);
        return "OK Getquotaroot completed.";
    }

    // RFC 9208 4.3.1.
    private async Task<string> GetQuotaAsync(ImapParser p)
    {
        p.Space();
        var root = p.AStringText();
        p.End();
        if (root != QuotaRootName) return "NO Quota root doesn't exist.";
        var usage = await _account!.GetQuotaAsync(_stopping).ConfigureAwait(false);
        if (usage.StorageLimit is not null) await WriteQuotaAsync(usage).ConfigureAwait(false);
        return "OK Getquota completed.";
    }

    // RFC 9208 4.3.3: a server may refuse to change a limit; QUOTASET is not advertised.
    private Task<string> SetQuotaAsync(ImapParser p)
    {
        p.Space();
        p.AStringText();
        p.Space();
        p.Expect('(');
        while (!p.TryChar(')'))
        {
            p.TryChar(' ');
            p.Atom();
        }
        p.End();
        return Task.FromResult("NO Quota can be changed only by admin.");
    }

    // RFC 9208 5.1: STORAGE usage and limit in units of 1024 octets (rounded up, as Dovecot's STORAGE_KILOBYTES).
    private Task WriteQuotaAsync(MailQuotaUsage usage) =>
        WriteAsync(new ImapResponse().Raw("* QUOTA ").String(QuotaRootName)
            .Raw(" (STORAGE ").Number(Kibibytes(usage.Bytes)).Raw(" ").Number(Kibibytes(usage.StorageLimit!.Value)).Raw(")"));

    // RFC 3501 9 astring: an atom when it can be one, as Dovecot writes the mailbox here (imap_append_astring).
    private static ImapResponse AString(ImapResponse response, string value) =>
        value.Length > 0 && value.All(c => c > ' ' && c < 0x7f && "(){%*\"\\]".IndexOf(c) < 0) ? response.Raw(value) : response.String(value);

    private static long Kibibytes(long bytes) => (bytes + 1023) / 1024;

    /// <summary>True when <paramref name="bytes"/> more fit under the user's limit (COPY checks the whole set first).</summary>
    private async Task<bool> QuotaAllowsAsync(long bytes) =>
        (await _account!.GetQuotaAsync(_stopping).ConfigureAwait(false)).Allows(bytes);
}
