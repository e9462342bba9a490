using System.Text;

namespace MailOps.Engine.Store;

/// <summary>
/// IMAP's modified UTF-7 (RFC 3501 5.1.3), in which Dovecot 2.3 writes non-ASCII folder names on disk
/// (".Entw&amp;APw-rfe" for "Entwürfe").
/// </summary>
internal static class ModifiedUtf7
{
    /// <summary>Encodes <paramref name="name"/>: printable ASCII stays, '&amp;' becomes "&amp;-", the rest is base64 of UTF-16BE with ',' for '/'.</summary>
    public static string Encode(string name)
    {
        var output = new StringBuilder(name.Length);
        var i = 0;
        while (i < name.Length)
        {
            var c = name[i];
            if (c is >= ' ' and <= '~')
            {
                output.Append(c == '&' ? "&-" : c.ToString());
                i++;
                continue;
            }
            var start = i;
            while (i < name.Length && name[i] is < ' ' or > '~') i++;
            var utf16 = Encoding.BigEndianUnicode.GetBytes(name[start..i]);
            output.Append('&').Append(Convert.ToBase64String(utf16).TrimEnd('=').Replace('/', ',')).Append('-');
        }
        return output.ToString();
    }

    /// <summary>Decodes <paramref name="encoded"/>; null when it is not valid modified UTF-7.</summary>
    public static string? Decode(string encoded)
    {
        var output = new StringBuilder(encoded.Length);
        var i = 0;
        while (i < encoded.Length)
        {
            var c = encoded[i++];
            if (c != '&')
            {
                output.Append(c);
                continue;
            }
            var end = encoded.IndexOf('-', i);
            if (end < 0) return null;
            if (end == i)
            {
                output.Append('&');
                i++;
                continue;
            }
            var base64 = encoded[i..end].Replace(',', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            try
            {
                var bytes = Convert.FromBase64String(base64);
                if (bytes.Length % 2 != 0) return null;
                output.Append(Encoding.BigEndianUnicode.GetString(bytes));
            }
            catch (FormatException)
            {
                return null;
            }
            i = end + 1;
        }
        return output.ToString();
    }
}
