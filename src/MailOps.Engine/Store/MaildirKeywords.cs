using System.Globalization;
using System.Text;

namespace MailOps.Engine.Store;

/// <summary>
/// A folder's <c>dovecot-keywords</c> (lib-storage/index/maildir/maildir-keywords.c): one "&lt;index&gt; &lt;name&gt;" a
/// line; the keyword with index 0 is the letter 'a' in a file name's <c>:2,</c> part, index 25 is 'z'. A new keyword
/// takes the lowest free index, written through the dotlock <c>dovecot-keywords.lock</c> renamed over the file.
/// </summary>
internal static class MaildirKeywords
{
    /// <summary>The file name in the folder directory.</summary>
    public const string FileName = "dovecot-keywords";

    /// <summary>Maildir has 26 letters for keywords (a–z).</summary>
    public const int MaxKeywords = 26;

    /// <summary>The keyword names by letter.</summary>
    public static Dictionary<char, string> Read(string folderPath)
    {
        var names = new Dictionary<char, string>();
        var path = Path.Combine(folderPath, FileName);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path, Encoding.UTF8);
        }
        catch (FileNotFoundException)
        {
            return names;
        }
        foreach (var line in lines)
        {
            var space = line.IndexOf(' ');
            if (space > 0 && int.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < MaxKeywords)
                names[(char)('a' + index)] = line[(space + 1)..];
        }
        return names;
    }

    /// <summary>
    /// The letters of <paramref name="keywords"/>, sorted, giving new ones a letter first. Keywords beyond the 26 letters
    /// are left out, as Dovecot's maildir does (they then live only in its index).
    /// </summary>
    public static async Task<string> LettersForAsync(string folderPath, IReadOnlyCollection<string> keywords, string hostName, MaildirOwner? owner,
        CancellationToken cancellationToken)
    {
        if (keywords.Count == 0) return "";
        var known = Read(folderPath);
        if (keywords.Any(k => !known.ContainsValue(k)))
        {
            var path = Path.Combine(folderPath, FileName);
            using var dotlock = await Dotlock.AcquireAsync(path, DotlockTimeouts.Subscriptions, writePid: false, hostName, owner, cancellationToken).ConfigureAwait(false);
            known = Read(folderPath);
            var added = false;
            foreach (var keyword in keywords.Where(k => !known.ContainsValue(k)))
            {
                var free = Enumerable.Range(0, MaxKeywords).Select(i => (char)('a' + i)).FirstOrDefault(c => !known.ContainsKey(c));
                if (free == default) break;
                known[free] = keyword;
                added = true;
            }
            if (added)
            {
                var text = new StringBuilder();
                foreach (var (letter, name) in known.OrderBy(p => p.Key)) text.Append(CultureInfo.InvariantCulture, $"{letter - 'a'} {name}\n");
                dotlock.Replace(Encoding.UTF8.GetBytes(text.ToString()));
            }
        }
        var letters = known.Where(p => keywords.Contains(p.Value)).Select(p => p.Key).Order().ToArray();
        return new string(letters);
    }
}
