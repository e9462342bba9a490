namespace MailOps.Logs;

/// <summary>
/// One line of a mail log (Postfix, Dovecot or the bundled server, which writes Postfix's format): the syslog header
/// every line has, and what the line says. Lines a program writes about one message carry its <see cref="QueueId"/>.
/// Derived types hold the fields of the lines they parse (deliveries, rejects, logins, ...).
/// </summary>
public class MailLogEntry
{
    /// <summary>When the line was written; for syslog's year-less timestamps the year is inferred (see <see cref="MailLogTimestampReader"/>).</summary>
    public DateTimeOffset Time { get; internal set; }

    /// <summary>The host name in the line (syslog's HOSTNAME), or null when the format has none (Dovecot's own log_path).</summary>
    public string? HostName { get; internal set; }

    /// <summary>The program as logged: <c>postfix/smtpd</c>, <c>postfix/submission/smtpd</c>, <c>mailops/qmgr</c>, <c>dovecot</c>.</summary>
    public string Program { get; internal set; } = "";

    /// <summary>
    /// The daemon inside the program: for Postfix the last part (<c>smtpd</c>, <c>cleanup</c>, <c>qmgr</c>, <c>smtp</c>,
    /// <c>virtual</c>, ...); for Dovecot the process (<c>imap-login</c>, <c>imap</c>, <c>lmtp</c>, <c>lda</c>, <c>auth</c>).
    /// </summary>
    public string Service { get; internal set; } = "";

    /// <summary>The process id in <c>program[pid]</c> (Dovecot: the one in <c>lmtp(user)&lt;pid&gt;</c>), or null.</summary>
    public int? Pid { get; internal set; }

    /// <summary>The Postfix queue id the line is about, or null (connections, NOQUEUE rejects, Dovecot lines).</summary>
    public string? QueueId { get; internal set; }

    /// <summary>The message text after <c>program[pid]: </c>.</summary>
    public string Text { get; internal set; } = "";

    /// <summary>What the line reports.</summary>
    public MailLogEventKind Kind { get; internal set; }

    /// <summary>The machine whose files the line was read from (this machine for local files; a session's host for remote ones).</summary>
    public string? ComputerName { get; set; }

    /// <summary>The file the line was read from, or null when read from a stream.</summary>
    public string? Source { get; set; }

    /// <summary>The line number in <see cref="Source"/>, from 1.</summary>
    public long LineNumber { get; set; }

    /// <summary>The line as Postfix would show it, for display and grep habits.</summary>
    public override string ToString() => $"{Time:yyyy-MM-dd HH:mm:ss} {HostName} {Program}{(Pid is { } p ? $"[{p}]" : "")}: {Text}";
}
