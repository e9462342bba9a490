using System.Text;

namespace MailOps.Engine.Imap;

/// <summary>
/// The base subject of RFC 5256 2.1, what SORT SUBJECT and both THREAD algorithms compare: the subject with its
/// "Re:", "Fwd:", "[list]" leaders, "(fwd)" trailers and "[fwd: ...]" wrapper taken away, whitespace packed.
/// </summary>
/// <param name="Text">The base subject as written (not case-folded).</param>
/// <param name="IsReplyOrForward">True when a subj-refwd, a "(fwd)" trailer or a "[fwd:" wrapper was removed (RFC 5256 2.2, REFERENCES 5.B).</param>
internal sealed record ImapBaseSubject(string Text, bool IsReplyOrForward)
{
    /// <summary>Extracts the base subject from a decoded (RFC 2047 already undone) subject.</summary>
    public static ImapBaseSubject Extract(string? subject)
    {
        // RFC 5256 2.1 (1): tabs and continuations become spaces, runs of spaces one space.
        var s = Pack(subject ?? "");
        var refwd = false;
        while (true)
        {
            // (2): trailing "(fwd)" and WSP, repeatedly.
            while (true)
            {
                if (s.EndsWith(' ')) s = s[..^1];
                else if (s.EndsWith("(fwd)", StringComparison.OrdinalIgnoreCase))
                {
                    s = s[..^5];
                    refwd = true;
                }
                else break;
            }
            // (3) subj-leader and (4) a leading subj-blob that leaves something behind, until neither matches (5).
            while (true)
            {
                if (s.StartsWith(' '))
                {
                    s = s[1..];
                    continue;
                }
                if (Leader(s) is { } leader)
                {
                    s = s[leader..];
                    refwd = true;
                    continue;
                }
                if (Blob(s, 0) is { } blob && blob < s.Length)
                {
                    s = s[blob..];
                    continue;
                }
                break;
            }
            // (6): "[fwd:" ... "]" is unwrapped and the steps start again from (2).
            if (s.Length >= 6 && s.StartsWith("[fwd:", StringComparison.OrdinalIgnoreCase) && s.EndsWith(']'))
            {
                s = s[5..^1];
                refwd = true;
                continue;
            }
            return new ImapBaseSubject(s, refwd);
        }
    }

    private static string Pack(string subject)
    {
        var packed = new StringBuilder(subject.Length);
        foreach (var c in subject)
        {
            var space = c is ' ' or '\t' or '\r' or '\n';
            if (space && packed.Length > 0 && packed[^1] == ' ') continue;
            packed.Append(space ? ' ' : c);
        }
        return packed.ToString();
    }

    /// <summary>The length of a subj-leader's non-WSP form, *subj-blob subj-refwd, at the start; null when there is none.</summary>
    // RFC 5256 5: subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
    private static int? Leader(string s)
    {
        var i = 0;
        while (i < s.Length && s[i] == '[')
        {
            if (Blob(s, i) is not { } end) return null;
            i = end;
        }
        if (string.Compare(s, i, "fwd", 0, 3, StringComparison.OrdinalIgnoreCase) == 0) i += 3;
        else if (string.Compare(s, i, "fw", 0, 2, StringComparison.OrdinalIgnoreCase) == 0 || string.Compare(s, i, "re", 0, 2, StringComparison.OrdinalIgnoreCase) == 0) i += 2;
        else return null;
        while (i < s.Length && s[i] == ' ') i++;
        if (i < s.Length && s[i] == '[')
        {
            if (Blob(s, i) is not { } end) return null;
            i = end;
        }
        return i < s.Length && s[i] == ':' ? i + 1 : null;
    }

    /// <summary>Where a subj-blob starting at <paramref name="start"/> ends, its WSP included; null when there is none.</summary>
    // RFC 5256 5: subj-blob = "[" *BLOBCHAR "]" *WSP, BLOBCHAR being anything but '[' and ']'.
    private static int? Blob(string s, int start)
    {
        if (start >= s.Length || s[start] != '[') return null;
        var i = start + 1;
        while (i < s.Length && s[i] is not ('[' or ']')) i++;
        if (i >= s.Length || s[i] != ']') return null;
        i++;
        while (i < s.Length && s[i] == ' ') i++;
        return i;
    }
}
