using System.Text;

namespace MailOps.Engine.Authentication;

/// <summary>
/// Finds the Authentication-Results header fields of a received message that claim our authserv-id: RFC 8601 5 has a
/// border MTA delete them before adding its own, so that nobody downstream trusts verdicts we never gave. Fields of
/// other authserv-ids are kept. A state machine over the header section's bytes (RFC 5322 2.2: a field is a line
/// beginning with a name and a colon, plus the following lines that begin with a space or tab).
/// </summary>
internal static class ForgedAuthenticationResults
{
    private const int HeaderSectionLimit = 1024 * 1024;

    /// <summary>The byte ranges (start, length, line ends included) of the fields of <paramref name="content"/> that name <paramref name="authServId"/>.</summary>
    public static IReadOnlyList<(long Start, long Length)> Find(Stream content, string authServId)
    {
        var found = new List<(long, long)>();
        var field = new MemoryStream();
        var line = new MemoryStream();
        long position = 0, fieldStart = -1;
        // Only the header section is read, line by line (the stream is buffered): not the body, not beyond the limit.
        while (position < HeaderSectionLimit && ReadLine(content, line))
        {
            var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
            bool continuation = bytes[0] is (byte)' ' or (byte)'\t';
            if (!continuation)
            {
                if (fieldStart >= 0 && Claims(field.GetBuffer().AsSpan(0, (int)field.Length), authServId)) found.Add((fieldStart, position - fieldStart));
                field.SetLength(0);
                fieldStart = position;
            }
            if (bytes is [(byte)'\n'] or [(byte)'\r', (byte)'\n']) return found; // RFC 5322 2.1: the empty line ends the header section.
            field.Write(bytes);
            position += bytes.Length;
        }
        // A message of headers only: the last field ends with the content.
        if (fieldStart >= 0 && Claims(field.GetBuffer().AsSpan(0, (int)field.Length), authServId)) found.Add((fieldStart, position - fieldStart));
        return found;
    }

    private static bool ReadLine(Stream content, MemoryStream line)
    {
        line.SetLength(0);
        int b;
        while ((b = content.ReadByte()) >= 0)
        {
            line.WriteByte((byte)b);
            if (b == '\n') break;
        }
        return line.Length > 0;
    }

    private static bool Claims(ReadOnlySpan<byte> field, string authServId)
    {
        int colon = field.IndexOf((byte)':');
        if (colon < 0) return false;
        var name = Encoding.ASCII.GetString(field[..colon]).TrimEnd(' ', '\t');
        if (!name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)) return false;
        var value = Encoding.UTF8.GetString(field[(colon + 1)..]);
        int i = 0, depth = 0;
        // RFC 8601 2.2: [CFWS] authserv-id; skip white space, folding and (nested) comments before it.
        while (i < value.Length)
        {
            char c = value[i];
            if (depth > 0) { depth += c == '(' ? 1 : c == ')' ? -1 : 0; if (c == '\\') i++; i++; continue; }
            if (c == '(') { depth = 1; i++; continue; }
            if (c is ' ' or '\t' or '\r' or '\n') { i++; continue; }
            break;
        }
        string id;
        if (i < value.Length && value[i] == '"')
        {
            var end = value.IndexOf('"', i + 1);
            id = end < 0 ? value[(i + 1)..] : value[(i + 1)..end];
        }
        else
        {
            int end = i;
            while (end < value.Length && value[end] is not (';' or ' ' or '\t' or '\r' or '\n' or '(')) end++;
            id = value[i..end];
        }
        // RFC 8601 5: authserv-ids are compared without regard to case.
        return id.TrimEnd('.').Equals(authServId.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
    }
}
