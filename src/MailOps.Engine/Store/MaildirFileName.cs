using System.Globalization;
using System.Text;

namespace MailOps.Engine.Store;

/// <summary>
/// Maildir file names as Dovecot makes and reads them (lib-storage/index/maildir/maildir-filename.c):
/// <c>&lt;secs&gt;.M&lt;usecs&gt;P&lt;pid&gt;.&lt;host&gt;,S=&lt;size&gt;,W=&lt;vsize&gt;[:2,&lt;flags&gt;]</c>.
/// The part before ':' is the base name, which dovecot-uidlist records and which never changes.
/// </summary>
internal static class MaildirFileName
{
    /// <summary>Separates the base name from the info (flags) part.</summary>
    public const char InfoSeparator = ':';

    private static readonly object Gate = new();
    private static long _lastMicroseconds;

    /// <summary>
    /// A new unique name <c>secs.MusecsPpid.host</c>: seconds and microseconds of now, but never the same pair twice
    /// in this process (as maildir_filename_generate: the next microsecond when the clock has not moved).
    /// </summary>
    public static string NewUniqueName(string escapedHost)
    {
        long micros;
        lock (Gate)
        {
            micros = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
            if (micros <= _lastMicroseconds) micros = _lastMicroseconds + 1;
            _lastMicroseconds = micros;
        }
        var secs = micros / 1_000_000;
        var usecs = micros % 1_000_000;
        return string.Create(CultureInfo.InvariantCulture, $"{secs}.M{usecs}P{Environment.ProcessId}.{escapedHost}");
    }

    /// <summary>
    /// The host part of a Maildir name: '/' and ':' would break the path and the info separator, so they are written
    /// as \057 and \072 (the Maildir convention, cr.yp.to/proto/maildir.html).
    /// </summary>
    public static string EscapeHost(string host) => host.Replace("/", "\\057").Replace(":", "\\072");

    /// <summary>The base name with Dovecot's size fields: S= the file's bytes, W= its RFC 822 (CRLF) size.</summary>
    public static string WithSizes(string uniqueName, long size, long virtualSize) =>
        string.Create(CultureInfo.InvariantCulture, $"{uniqueName},S={size},W={virtualSize}");

    /// <summary>The file name for <paramref name="flags"/>: the base alone when there are none (new/), else base:2,LETTERS (cur/).</summary>
    public static string WithFlags(string baseName, MessageFlags flags) =>
        flags == MessageFlags.None ? baseName : baseName + ":2," + FlagLetters(flags);

    /// <summary>
    /// The file name in cur/ for <paramref name="flags"/> and keyword letters: base:2, then every letter in ASCII order
    /// (system flags' capitals before keywords' small letters), as Dovecot sorts them.
    /// </summary>
    public static string WithInfo(string baseName, MessageFlags flags, string keywordLetters) =>
        baseName + ":2," + FlagLetters(flags) + new string(keywordLetters.Distinct().Order().ToArray());

    /// <summary>The Maildir letters of <paramref name="flags"/> in ASCII order, as Dovecot writes them.</summary>
    public static string FlagLetters(MessageFlags flags)
    {
        var letters = new StringBuilder(5);
        if (flags.HasFlag(MessageFlags.Draft)) letters.Append('D');
        if (flags.HasFlag(MessageFlags.Flagged)) letters.Append('F');
        if (flags.HasFlag(MessageFlags.Answered)) letters.Append('R');
        if (flags.HasFlag(MessageFlags.Seen)) letters.Append('S');
        if (flags.HasFlag(MessageFlags.Deleted)) letters.Append('T');
        return letters.ToString();
    }

    /// <summary>The base name: everything before the first ':'.</summary>
    public static string BaseOf(string fileName)
    {
        var colon = fileName.IndexOf(InfoSeparator);
        return colon < 0 ? fileName : fileName[..colon];
    }

    /// <summary>
    /// The value of a <c>,S=</c> or <c>,W=</c> field (<paramref name="key"/> 'S' or 'W'), as maildir_filename_get_size:
    /// digits ending at ',', ':' or the end of the name.
    /// </summary>
    public static bool TryGetSize(string fileName, char key, out long size)
    {
        size = 0;
        var marker = "," + key + "=";
        var at = fileName.IndexOf(marker, StringComparison.Ordinal);
        var colon = fileName.IndexOf(InfoSeparator);
        if (at < 0 || (colon >= 0 && at > colon)) return false;
        var i = at + marker.Length;
        var start = i;
        while (i < fileName.Length && char.IsAsciiDigit(fileName[i])) size = size * 10 + (fileName[i++] - '0');
        return i > start && (i == fileName.Length || fileName[i] == ',' || fileName[i] == InfoSeparator);
    }

    /// <summary>The system flags and keyword letters (a–z) of a name's <c>:2,</c> info part.</summary>
    public static (MessageFlags Flags, string KeywordLetters) ParseFlags(string fileName)
    {
        var colon = fileName.IndexOf(InfoSeparator);
        if (colon < 0 || !fileName.AsSpan(colon + 1).StartsWith("2,")) return (MessageFlags.None, "");
        var flags = MessageFlags.None;
        var keywords = new StringBuilder();
        foreach (var c in fileName.AsSpan(colon + 3))
        {
            switch (c)
            {
                case 'D': flags |= MessageFlags.Draft; break;
                case 'F': flags |= MessageFlags.Flagged; break;
                case 'R': flags |= MessageFlags.Answered; break;
                case 'S': flags |= MessageFlags.Seen; break;
                case 'T': flags |= MessageFlags.Deleted; break;
                case >= 'a' and <= 'z': keywords.Append(c); break;
            }
        }
        return (flags, keywords.ToString());
    }

    /// <summary>
    /// Dovecot's order for files that get UIDs in one sync (maildir_filename_sort_cmp): by the seconds in the name,
    /// then the microseconds after 'M', then the base names.
    /// </summary>
    public static int SortCompare(string a, string b)
    {
        var (secondsA, restA) = LeadingNumber(a);
        var (secondsB, restB) = LeadingNumber(b);
        if (secondsA != secondsB) return secondsA.CompareTo(secondsB);
        if (TryMicroseconds(restA, out var microsA) && TryMicroseconds(restB, out var microsB) && microsA != microsB)
            return microsA.CompareTo(microsB);
        return string.CompareOrdinal(BaseOf(restA), BaseOf(restB));
    }

    private static (long Value, string Remainder) LeadingNumber(string name)
    {
        long value = 0;
        var i = 0;
        while (i < name.Length && char.IsAsciiDigit(name[i])) value = value * 10 + (name[i++] - '0');
        return (value, name[i..]);
    }

    // After the seconds comes ".<uniqueness>.<host>"; the microseconds follow an 'M' inside the uniqueness part.
    private static bool TryMicroseconds(string rest, out long micros)
    {
        micros = 0;
        if (rest.Length == 0 || rest[0] != '.') return false;
        for (var i = 1; i < rest.Length && rest[i] != '.' && rest[i] != InfoSeparator; i++)
        {
            if (rest[i] != 'M') continue;
            for (i++; i < rest.Length && char.IsAsciiDigit(rest[i]); i++) micros = micros * 10 + (rest[i] - '0');
            return true;
        }
        return false;
    }
}
