using MailOps.Engine.Auth;
using System.Net;

namespace MailOps.Engine.Logging;

/// <summary>
/// The lines Dovecot's pop3-login and pop3 processes write, with Dovecot 2.3's texts and default formats
/// (login_log_format_elements, mail_log_prefix "%s(%u)&lt;%{pid}&gt;&lt;%{session}&gt;: ", pop3_logout_format
/// "top=%t/%p, retr=%r/%b, del=%d/%m, size=%s"), so tools that read Dovecot's log read these. They go into the
/// server's log under the program name <c>pop3</c>: <c>... mailops/pop3[pid]: pop3-login: Login: user=&lt;alice&gt;, ...</c>.
/// </summary>
public sealed class Pop3SessionLog(MailLog log)
{
    private const string Program = "pop3";

    /// <summary>A login that succeeded.</summary>
    public void Login(string user, string method, IPEndPoint client, IPEndPoint local, string session, bool tls) =>
        log.Write(Program, $"pop3-login: Login: user=<{user}>, method={method}, rip={client.Address}, lip={local.Address}, mpid={log.ProcessId}{Security(client, tls)}, session=<{session}>");

    /// <summary>A client that left (or was sent away) without logging in; <paramref name="attempts"/> failed logins.</summary>
    public void LoginEnded(string? user, string? method, int attempts, TimeSpan duration, IPEndPoint client, IPEndPoint local, string session, bool tls, string? reason = null) =>
        log.Write(Program, "pop3-login: " + LoginEndedText(user, method, attempts, duration, client, local, session, tls, reason));

    /// <summary>The text of a login process's last line for a client that never logged in (shared with imap-login).</summary>
    internal static string LoginEndedText(string? user, string? method, int attempts, TimeSpan duration, IPEndPoint client, IPEndPoint local, string session, bool tls, string? reason)
    {
        var secs = (int)duration.TotalSeconds;
        var why = reason ?? (attempts > 0 ? $"auth failed, {attempts} attempts in {secs} secs" : $"no auth attempts in {secs} secs");
        var head = reason is not null && reason.StartsWith(UserConnectionCounts.ExceededText, StringComparison.Ordinal) ? $"Disconnected: {why}"
            : attempts > 0 || reason is not null ? $"Disconnected ({why})" : $"Aborted login ({why})";
        var who = $"user=<{user}>" + (method is null ? "" : $", method={method}");
        return $"{head}: {who}, rip={client.Address}, lip={local.Address}{Security(client, tls)}, session=<{session}>";
    }

    /// <summary>The end of a logged-in session: how it ended ("Logged out", "Connection closed", ...) and pop3_logout_format's figures.</summary>
    public void Disconnected(string user, string session, string reason, Pop3SessionTally tally) =>
        log.Write(Program, $"pop3({user})<{log.ProcessId}><{session}>: Disconnected: {reason} top={tally.TopCount}/{tally.TopBytes}, " +
            $"retr={tally.RetrCount}/{tally.RetrBytes}, del={tally.Deleted}/{tally.Messages}, size={tally.MailboxSize}");

    // Dovecot adds ", TLS" for an encrypted connection and ", secured" for one it trusts without (loopback).
    internal static string Security(IPEndPoint client, bool tls) => tls ? ", TLS" : IPAddress.IsLoopback(client.Address) ? ", secured" : "";
}
