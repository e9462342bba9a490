using System.Text;

namespace MailOps.Engine.Logging;

/// <summary>
/// Counts the SMTP commands of one session for smtpd's disconnect line
/// (<c>ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6</c>): a count is "ok/total" when some failed, else just "total".
/// Thread-safe, because a session's reader and its timeout may both count; counting allocates nothing.
/// </summary>
public sealed class SmtpCommandTally
{
    // The order smtpd's command table lists them (Postfix smtpd.c), so our lines read like its lines.
    private static readonly string[] Order =
        ["helo", "ehlo", "xclient", "xforward", "starttls", "auth", "mail", "rcpt", "data", "bdat", "rset", "noop", "vrfy", "etrn", "quit", "unknown"];

    private static readonly int Unknown = Order.Length - 1;

    private readonly int[] _ok = new int[Order.Length];
    private readonly int[] _total = new int[Order.Length];

    /// <summary>True when smtpd's command table has <paramref name="verb"/> (any case); others are counted as <c>unknown</c>.</summary>
    public static bool IsKnown(string verb) => IndexOf(verb) != Unknown;

    /// <summary>Counts one command; a verb smtpd does not know is counted as <c>unknown</c>.</summary>
    /// <param name="verb">The command verb as the client sent it (any case).</param>
    /// <param name="succeeded">False when the reply was 4xx or 5xx.</param>
    public void Count(string verb, bool succeeded)
    {
        var index = IndexOf(verb);
        lock (_total)
        {
            if (succeeded) _ok[index]++;
            _total[index]++;
        }
    }

    /// <summary>The text after <c>disconnect from name[addr] </c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        int ok = 0, total = 0;
        lock (_total)
        {
            for (var i = 0; i < Order.Length; i++)
            {
                if (_total[i] == 0) continue;
                text.Append(Order[i]).Append('=').Append(Pair(_ok[i], _total[i])).Append(' ');
                ok += _ok[i];
                total += _total[i];
            }
        }
        return text.Append("commands=").Append(Pair(ok, total)).ToString();
    }

    private static int IndexOf(string verb)
    {
        for (var i = 0; i < Unknown; i++)
        {
            if (Order[i].Equals(verb, StringComparison.OrdinalIgnoreCase)) return i;
        }
        return Unknown;
    }

    private static string Pair(int ok, int total) => ok == total ? $"{total}" : $"{ok}/{total}";
}
