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
        var buffer = new byte[HeaderSectionLimit];
        int length = 0, read;
        while (length < buffer.Length && (read = content.Read(buffer, length, buffer.Length - length)) > 0) length += read;
        var bytes = buffer.AsSpan(0, length);

        int fieldStart = -1, position = 0;
        while (position < bytes.Length)
        {
            int lineEnd = bytes[position..].IndexOf((byte)'\n');
            int next = lineEnd < 0 ? bytes.Length : position + lineEnd + 1;
            bool continuation = bytes[position] is (byte)' ' or (byte)'\t';
            bool empty = bytes[position] == '\n' || (bytes[position] == '\r' && position + 1 < bytes.Length && bytes[position + 1] == '\n');
            if (!continuation)
            {
                if (fieldStart >= 0 && Claims(bytes[fieldStart..position], authServId)) found.Add((fieldStart, position - fieldStart));
                fieldStart = position;
            }
            if (empty) return found; // RFC 5322 2.1: the empty line ends the header section.
            position = next;
        }
        // A message of headers only: the last field ends with the content.
        if (fieldStart >= 0 && Claims(bytes[fieldStart..position], authServId)) found.Add((fieldStart, position - fieldStart));
        return found;
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
