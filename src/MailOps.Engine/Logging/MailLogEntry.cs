namespace MailOps.Engine.Logging;

/// <summary>One line written to the mail log, as raised by <see cref="MailLog.Written"/>.</summary>
/// <param name="Time">When it was written.</param>
/// <param name="Program">The program part after the syslog name, e.g. <c>smtpd</c>, <c>qmgr</c>.</param>
/// <param name="Message">The text after <c>program[pid]: </c>.</param>
/// <param name="Line">The whole line as written, without the line end.</param>
public sealed record MailLogEntry(DateTimeOffset Time, string Program, string Message, string Line);
