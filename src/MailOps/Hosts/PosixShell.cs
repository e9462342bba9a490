using System.Text;

namespace MailOps.Hosts;

/// <summary>
/// The one way a command line for a remote POSIX shell is written: every word single-quoted, so no value can
/// expand, substitute or end the command.
/// </summary>
public static class PosixShell
{
    // POSIX.1-2017 XCU 2.2.2: inside single quotes every character is literal; a quote itself is written '\''.
    /// <summary>Quotes <paramref name="word"/> for a POSIX shell: <c>it's</c> becomes <c>'it'\''s'</c>.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// The command line that runs <paramref name="command"/> on a remote shell: program and arguments each quoted,
    /// behind <c>sudo -n --</c> when <paramref name="sudo"/> (never prompting for a password).
    /// </summary>
    public static string CommandLine(HostCommand command, bool sudo)
    {
        ArgumentNullException.ThrowIfNull(command);
        var line = new StringBuilder();
        // sshd runs the command with a user PATH that often lacks the sbin directories where postconf and postfix live.
        line.Append("PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin\"; export PATH; exec ");
        if (sudo) line.Append("sudo -n -- ");
        line.Append(Quote(command.Program));
        foreach (var argument in command.Arguments) line.Append(' ').Append(Quote(argument));
        return line.ToString();
    }
}
