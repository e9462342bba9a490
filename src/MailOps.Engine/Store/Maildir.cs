using MailOps.Engine.Platform;

namespace MailOps.Engine.Store;

/// <summary>
/// One user's Maildir++ root, laid out as Dovecot's <c>mail_location = maildir:ROOT</c> (LAYOUT=maildir++): the
/// INBOX is ROOT itself, folder "Archive.2026" is <c>ROOT/.Archive.2026</c> (non-ASCII in modified UTF-7), each with
/// <c>cur/ new/ tmp/</c>, a <c>dovecot-uidlist</c>, and — for folders — an empty <c>maildirfolder</c> file; the
/// <c>subscriptions</c> file sits at the root. Nothing is created until the first delivery or folder creation;
/// directories are made 0700 and files 0600.
/// </summary>
public sealed class Maildir : IMailAccount
{
    /// <summary>The hierarchy separator between folder levels.</summary>
    public const char HierarchySeparator = '.';

    /// <summary>The marker file Maildir++ puts in every folder below the root.</summary>
    internal const string FolderMarker = "maildirfolder";

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The root directory.</summary>
    public string Root { get; }

    /// <summary>How files are written.</summary>
    public MaildirOptions Options { get; }

    /// <summary>The host name as it appears in file names ('/' and ':' escaped).</summary>
    internal string EscapedHostName { get; }

    /// <inheritdoc />
    public IMailFolder Inbox => new MaildirFolder(this, "INBOX", Root);

    /// <summary>
    /// The user's storage limit in bytes (the passwd-file's <c>userdb_quota_rule=*:storage=</c>); null for none. Deliveries
    /// and IMAP APPEND/COPY that would go over it are refused; the usage is kept in <c>maildirsize</c> either way.
    /// </summary>
    public long? StorageLimit
    {
        get => Quota.StorageLimit;
        init => Quota = new MaildirQuota(this, value);
    }

    /// <summary>The Maildir++ quota file of this Maildir.</summary>
    internal MaildirQuota Quota { get; private init; }

    /// <summary>Opens (without creating) the Maildir at <paramref name="root"/>.</summary>
    public Maildir(string root, MaildirOptions? options = null)
    {
        Root = Path.GetFullPath(root);
        Options = options ?? new MaildirOptions();
        EscapedHostName = MaildirFileName.EscapeHost(Options.HostName);
        Quota = new MaildirQuota(this, null);
    }

    /// <inheritdoc />
    public Task<MailQuotaUsage> GetQuotaAsync(CancellationToken cancellationToken = default) => Quota.GetUsageAsync(cancellationToken);

    /// <inheritdoc />
    public IReadOnlyList<string> ListFolders()
    {
        var names = new List<string>();
        if (Directory.Exists(Root))
        {
            foreach (var dir in Directory.EnumerateDirectories(Root, ".*"))
            {
                var entry = Path.GetFileName(dir);
                if (entry is "." or ".." || ModifiedUtf7.Decode(entry[1..]) is not { } name || !IsValidName(name)) continue;
                names.Add(name);
            }
        }
        names.Sort(StringComparer.Ordinal);
        names.Insert(0, "INBOX");
        return names;
    }

    /// <inheritdoc />
    public bool FolderExists(string name) => IsInbox(name) || Directory.Exists(FolderPath(name));

    /// <inheritdoc />
    public IMailFolder GetFolder(string name)
    {
        if (IsInbox(name)) return Inbox;
        var path = FolderPath(name);
        if (!Directory.Exists(path)) throw new MailFolderNotFoundException(name);
        return new MaildirFolder(this, name, path);
    }

    /// <inheritdoc />
    public async Task<IMailFolder> CreateFolderAsync(string name, bool subscribe = true, CancellationToken cancellationToken = default)
    {
        if (IsInbox(name)) throw new MailFolderExistsException("INBOX");
        var path = FolderPath(name);
        EnsureRoot();
        if (Directory.Exists(path)) throw new MailFolderExistsException(name);
        CreateDirectory(path);
        CreateMaildirDirectories(path);
        var marker = Path.Combine(path, FolderMarker);
        using (new FileStream(marker, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite })) { }
        GiveToOwner(marker);
        var folder = new MaildirFolder(this, name, path);
        // The folder gets its UIDVALIDITY when it is created, as in Dovecot.
        await folder.ListMessagesAsync(cancellationToken).ConfigureAwait(false);
        if (subscribe) await SubscribeAsync(name, cancellationToken).ConfigureAwait(false);
        return folder;
    }

    /// <inheritdoc />
    public async Task DeleteFolderAsync(string name, CancellationToken cancellationToken = default)
    {
        if (IsInbox(name)) throw new ArgumentException("INBOX cannot be deleted.", nameof(name));
        var path = FolderPath(name);
        if (!Directory.Exists(path)) throw new MailFolderNotFoundException(name);
        // Out of sight first (a name no listing accepts, as Dovecot's DOVECOT-TRASHED), then removed.
        var doomed = Path.Combine(Root, "..deleted-" + Guid.NewGuid().ToString("N"));
        Directory.Move(path, doomed);
        long bytes = 0, count = 0;
        foreach (var sub in new[] { "new", "cur" })
        {
            var directory = new DirectoryInfo(Path.Combine(doomed, sub));
            if (!directory.Exists) continue;
            var (b, c) = MaildirQuota.Sum(directory);
            bytes += b;
            count += c;
        }
        Directory.Delete(doomed, recursive: true);
        // Its messages no longer count against the quota.
        await Quota.AddAsync(-bytes, -count, CancellationToken.None).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task RenameFolderAsync(string name, string newName, CancellationToken cancellationToken = default)
    {
        if (IsInbox(name) || IsInbox(newName)) throw new ArgumentException("INBOX cannot be renamed here.", nameof(name));
        var from = FolderPath(name);
        var to = FolderPath(newName);
        if (!Directory.Exists(from)) throw new MailFolderNotFoundException(name);
        if (Directory.Exists(to)) throw new MailFolderExistsException(newName);
        var below = ListFolders().Where(f => f.StartsWith(name + HierarchySeparator, StringComparison.Ordinal)).ToList();
        if (below.Any(f => Directory.Exists(FolderPath(newName + f[name.Length..])))) throw new MailFolderExistsException(newName);
        Directory.Move(from, to);
        foreach (var child in below) Directory.Move(FolderPath(child), FolderPath(newName + child[name.Length..]));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ListSubscriptions() => Directory.Exists(Root) ? SubscriptionsFile.Read(Root) : [];

    /// <inheritdoc />
    public Task SubscribeAsync(string name, CancellationToken cancellationToken = default) => SetSubscribedAsync(name, true, cancellationToken);

    /// <inheritdoc />
    public Task UnsubscribeAsync(string name, CancellationToken cancellationToken = default) => SetSubscribedAsync(name, false, cancellationToken);

    private async Task SetSubscribedAsync(string name, bool subscribed, CancellationToken cancellationToken)
    {
        if (!IsInbox(name)) ValidateName(name);
        EnsureRoot();
        await SubscriptionsFile.SetAsync(Root, IsInbox(name) ? "INBOX" : name, subscribed, Options.HostName, Options.Owner, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Creates the root with its cur/ new/ tmp/ when they are missing.</summary>
    internal void EnsureRoot()
    {
        if (Directory.Exists(Path.Combine(Root, "tmp"))) return;
        CreateDirectory(Root);
        CreateMaildirDirectories(Root);
    }

    /// <summary>Gives a file or directory this Maildir created to its owner, when one is set.</summary>
    internal void GiveToOwner(string path)
    {
        if (Options.Owner is { } owner) Posix.Chown(path, owner.Uid, owner.Gid);
    }

    /// <summary>The directory of folder <paramref name="name"/>: ".NAME" below the root, NAME in modified UTF-7.</summary>
    /// <exception cref="ArgumentException">The name is not a valid folder name.</exception>
    internal string FolderPath(string name)
    {
        if (IsInbox(name)) return Root;
        ValidateName(name);
        return Path.Combine(Root, "." + ModifiedUtf7.Encode(name));
    }

    internal static bool IsInbox(string name) => name.Equals("INBOX", StringComparison.OrdinalIgnoreCase);

    private void CreateMaildirDirectories(string folderPath)
    {
        foreach (var sub in new[] { "cur", "new", "tmp" }) CreateDirectory(Path.Combine(folderPath, sub));
    }

    // Creates missing parents too, each given to the owner as if the owner had made it.
    private void CreateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        var parent = Path.GetDirectoryName(path);
        if (parent is not null) CreateDirectory(parent);
        Directory.CreateDirectory(path, DirectoryMode);
        GiveToOwner(path);
    }

    private static void ValidateName(string name)
    {
        if (!IsValidName(name)) throw new ArgumentException($"'{name}' is not a valid folder name.", nameof(name));
    }

    // Levels are non-empty; '/' would leave the Maildir, control characters would break the subscriptions file.
    private static bool IsValidName(string name) =>
        name.Length > 0 && !IsInbox(name) &&
        name.Split(HierarchySeparator).All(level => level.Length > 0) &&
        !name.Any(c => c == '/' || char.IsControl(c));
}
