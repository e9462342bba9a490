using System.Text;

namespace MailOps.Engine.Store;

/// <summary>
/// Finds each user's <see cref="Maildir"/> from a location template with Dovecot's variables, as
/// <c>mail_location = maildir:/var/vmail/%d/%n/Maildir</c>: %u the whole login name, %n its part before '@', %d the
/// part after it, %% a percent sign.
/// </summary>
public sealed class MaildirStore : IMailStore
{
    /// <summary>The location template, e.g. /var/vmail/%d/%n/Maildir.</summary>
    public string Location { get; }

    /// <summary>How every user's Maildir writes its files.</summary>
    public MaildirOptions Options { get; }

    /// <summary>Where each user's storage limit comes from (the users' passwd-file); null: no user has one.</summary>
    public IMailQuotaLimits? QuotaLimits { get; init; }

    /// <summary>A store whose users' Maildirs are at <paramref name="location"/>.</summary>
    /// <exception cref="ArgumentException">The template is not absolute or uses a variable other than %u, %n, %d, %%.</exception>
    public MaildirStore(string location, MaildirOptions? options = null)
    {
        if (!Path.IsPathRooted(location)) throw new ArgumentException($"The Maildir location '{location}' is not an absolute path.", nameof(location));
        Expand(location, "", "", ""); // rejects unknown variables now rather than at the first delivery
        Location = location;
        Options = options ?? new MaildirOptions();
    }

    /// <inheritdoc />
    IMailAccount IMailStore.Open(string user) => Open(user);

    /// <summary>The Maildir of <paramref name="user"/>; nothing is created yet.</summary>
    /// <exception cref="ArgumentException">The name cannot name a mailbox (it would leave the store's directory).</exception>
    public Maildir Open(string user) => new(PathFor(user), Options) { StorageLimit = QuotaLimits?.StorageLimitFor(user) };

    /// <summary>The Maildir root of <paramref name="user"/>.</summary>
    public string PathFor(string user)
    {
        var at = user.LastIndexOf('@');
        var local = at < 0 ? user : user[..at];
        var domain = at < 0 ? "" : user[(at + 1)..];
        // A name must stay one path component: no '/', no "." or "..", nothing unprintable.
        foreach (var part in new[] { user, local, domain })
        {
            if (part is "." or ".." || part.Any(c => c == '/' || char.IsControl(c)))
                throw new ArgumentException($"'{user}' cannot name a mailbox.", nameof(user));
        }
        if (local.Length == 0) throw new ArgumentException($"'{user}' cannot name a mailbox.", nameof(user));
        return Path.GetFullPath(Expand(Location, user, local, domain));
    }

    private static string Expand(string template, string user, string local, string domain)
    {
        var path = new StringBuilder(template.Length + user.Length);
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] != '%')
            {
                path.Append(template[i]);
                continue;
            }
            if (++i == template.Length) throw new ArgumentException($"The Maildir location '{template}' ends with '%'.", nameof(template));
            path.Append(template[i] switch
            {
                'u' => user,
                'n' => local,
                'd' => domain,
                '%' => "%",
                var other => throw new ArgumentException($"The Maildir location '{template}' uses %{other}; only %u, %n, %d and %% are known.", nameof(template)),
            });
        }
        return path.ToString();
    }
}
