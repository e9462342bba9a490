using System.Text;

namespace MailOps.Engine.Store;

/// <summary>
/// The <c>subscriptions</c> file at the Maildir root, as Dovecot 2.3 keeps it (lib-storage/list/subscription-file.c):
/// a new file starts with the version 2 header "V\t2\n\n" and lists one folder a line with its hierarchy levels
/// separated by TAB (so "Archive.2026" is written "Archive\t2026"); a file without the header is version 1, one name
/// a line as given, and stays so. Changes go through the dotlock <c>subscriptions.lock</c>, which receives the new
/// content and is renamed over the file.
/// </summary>
internal static class SubscriptionsFile
{
    /// <summary>The file name at the Maildir root.</summary>
    public const string FileName = "subscriptions";

    private const string Version2Header = "V\t2\n\n";

    /// <summary>The subscribed folder names, with '.' between hierarchy levels.</summary>
    public static IReadOnlyList<string> Read(string root)
    {
        var (version, lines) = Load(Path.Combine(root, FileName));
        return lines.Select(line => version >= 2 ? Unescape(line) : line).ToList();
    }

    /// <summary>Adds or removes <paramref name="folder"/>; returns whether the file changed.</summary>
    public static async Task<bool> SetAsync(string root, string folder, bool subscribed, string hostName, MaildirOwner? owner,
        CancellationToken cancellationToken)
    {
        if (folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) folder = "INBOX";
        var path = Path.Combine(root, FileName);
        using var dotlock = await Dotlock.AcquireAsync(path, DotlockTimeouts.Subscriptions, writePid: false, hostName, owner, cancellationToken)
            .ConfigureAwait(false);
        var (version, lines) = Load(path);
        var entry = version >= 2 ? Escape(folder) : folder;
        var found = lines.Contains(entry);
        if (found == subscribed) return false;
        var kept = subscribed ? lines.Append(entry) : lines.Where(line => line != entry);
        var text = new StringBuilder();
        if (version >= 2) text.Append(Version2Header);
        foreach (var line in kept) text.Append(line).Append('\n');
        dotlock.Replace(Encoding.UTF8.GetBytes(text.ToString()));
        return true;
    }

    private static (int Version, List<string> Lines) Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (FileNotFoundException)
        {
            return (2, []);
        }
        var version = 1;
        if (text.StartsWith(Version2Header, StringComparison.Ordinal))
        {
            version = 2;
            text = text[Version2Header.Length..];
        }
        return (version, text.Split('\n').Where(line => line.Length > 0).ToList());
    }

    // One TAB between levels; a TAB, CR, LF or \001 inside a level is escaped as \001 t, r, n or 1 (str_append_tabescaped).
    private static string Escape(string folder) =>
        string.Join('\t', folder.Split(Maildir.HierarchySeparator).Select(level => level
            .Replace("\u0001", "\u00011").Replace("\t", "\u0001t").Replace("\r", "\u0001r").Replace("\n", "\u0001n")));

    private static string Unescape(string line) =>
        string.Join(Maildir.HierarchySeparator, line.Split('\t').Select(level =>
        {
            var output = new StringBuilder(level.Length);
            for (var i = 0; i < level.Length; i++)
            {
                if (level[i] != '\u0001' || i + 1 == level.Length)
                {
                    output.Append(level[i]);
                    continue;
                }
                output.Append(level[++i] switch { 't' => '\t', 'r' => '\r', 'n' => '\n', '1' => '\u0001', var other => other });
            }
            return output.ToString();
        }));
}
