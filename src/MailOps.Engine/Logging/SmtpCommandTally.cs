using System.Text;

namespace MailOps.Engine.Logging;

/// <summary>
/// Counts the SMTP commands of one session for smtpd's disconnect line
/// (<c>ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6</c>): a count is "ok/total" when some failed, else just "total".
/// Thread-safe, because a session's reader and its timeout may both count.
/// </summary>
public sealed class SmtpCommandTally
{
    // The order smtpd's command table lists them (Postfix smtpd.c), so our lines read like its lines.
    private static readonly string[] Order =
        ["helo", "ehlo", "xclient", "xforward", "starttls", "auth", "mail", "rcpt", "data", "bdat", "rset", "noop", "vrfy", "etrn", "quit", "unknown"];

    private readonly Dictionary<string, (int Ok, int Total)> _counts = new(StringComparer.Ordinal);

    /// <summary>Counts one command; a verb smtpd does not know is counted as <c>unknown</c>.</summary>
    /// <param name="verb">The command verb as the client sent it (any case).</param>
    /// <param name="succeeded">False when the reply was 4xx or 5xx.</param>
    public void Count(string verb, bool succeeded)
    {
        var key = verb.ToLowerInvariant();
        if (Array.IndexOf(Order, key) < 0) key = "unknown";
        lock (_counts)
        {
            _counts.TryGetValue(key, out var c);
            _counts[key] = (c.Ok + (succeeded ? 1 : 0), c.Total + 1);
        }
    }

    /// <summary>The text after <c>disconnect from name[addr] </c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        int ok = 0, total = 0;
        lock (_counts)
        {
            foreach (var verb in Order)
            {
                if (!_counts.TryGetValue(verb, out var c)) continue;
                text.Append(verb).Append('=').Append(Pair(c.Ok, c.Total)).Append(' ');
                ok += c.Ok;
                total += c.Total;
            }
        }
        return text.Append("commands=").Append(Pair(ok, total)).ToString();
    }

    private static string Pair(int ok, int total) => ok == total ? $"{total}" : $"{ok}/{total}";
}
