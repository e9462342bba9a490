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
    /// behind <c>sudo -n --</c> when <paramref name="sudo"/> (never prompting for a password). The program is stopped
    /// when the SSH channel closes, since sshd does not pass signals to root sessions. A command with
    /// <see cref="HostCommand.Input"/> reads the channel itself, so it has no such watcher: it ends when its input does.
    /// </summary>
    public static string CommandLine(HostCommand command, bool sudo)
    {
        ArgumentNullException.ThrowIfNull(command);
        var program = new StringBuilder();
        if (sudo) program.Append("sudo -n -- ");
        program.Append(Quote(command.Program));
        foreach (var argument in command.Arguments) program.Append(' ').Append(Quote(argument));
        // sshd runs the command with a user PATH that often lacks the sbin directories where postconf and postfix live.
        const string Path = "PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin\"; export PATH; ";
        // SSH.NET sends no EOF for input it was given no bytes of: empty input is /dev/null, so the program still sees its end.
        if (command.Input is { } input) return Path + "exec " + program + (input.IsEmpty ? " </dev/null" : "");
        // The program runs in the background with no input; a watcher reads the channel's input (saved as fd 3, as a
        // background job's own stdin is /dev/null) and, when it ends because the client closed the channel, stops it.
        return Path + "exec 3<&0; "
            + program + " </dev/null 3<&- & p=$!; "
            + "{ cat <&3 >/dev/null 2>&1; kill $p 2>/dev/null; } & w=$!; exec 3<&-; "
            + "wait $p; s=$?; kill $w 2>/dev/null; exit $s";
    }
}
