namespace MailOps.Engine.Smtp;

/// <summary>
/// Reads the argument of MAIL FROM: and RCPT TO: (RFC 5321 4.1.2): a path in angle brackets, then ESMTP parameters.
/// A scanner over characters with a quote state, so a quoted local part may contain '&gt;' or spaces.
/// </summary>
internal static class SmtpPath
{
    /// <summary>Splits "&lt;addr&gt; KEY=VALUE ..." into the address and its parameters; false on a syntax error.</summary>
    public static bool TryParse(string argument, out string address, out List<KeyValuePair<string, string?>> parameters)
    {
        address = "";
        parameters = [];
        int i = 0;
        // Postfix accepts a space after the colon (strict_rfc821_envelopes=no); so do we.
        while (i < argument.Length && argument[i] == ' ')
        {
            i++;
        }

        if (i >= argument.Length || argument[i] != '<')
        {
            return false;
        }

        int start = ++i;
        bool quoted = false;
        for (; i < argument.Length; i++)
        {
            char c = argument[i];
            if (c == '\\' && quoted)
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '>' && !quoted)
            {
                break;
            }
            else if (char.IsControl(c) || (c == ' ' && !quoted))
            {
                return false;
            }
        }

        if (i >= argument.Length)
        {
            return false;
        }

        address = argument[start..i];
        // RFC 5321 4.1.2 and C: a source route "@a,@b:user@c" is accepted and ignored.
        if (address.StartsWith('@'))
        {
            int colon = address.IndexOf(':');
            if (colon < 0)
            {
                return false;
            }

            address = address[(colon + 1)..];
        }

        if (address.Length > 0)
        {
            int at = address.LastIndexOf('@');
            if (at <= 0 || at == address.Length - 1)
            {
                return false;
            }
        }

        foreach (string word in argument[(i + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = word.IndexOf('=');
            string key = (equals < 0 ? word : word[..equals]).ToUpperInvariant();
            if (key.Length == 0)
            {
                return false;
            }

            parameters.Add(new(key, equals < 0 ? null : word[(equals + 1)..]));
        }

        return true;
    }
}
