using System.Net;

namespace MailOps.Engine.Logging;

/// <summary>
/// The lines Dovecot's imap-login and imap processes write, with Dovecot 2.3's texts and default formats
/// (login_log_format_elements, mail_log_prefix "%s(%u)&lt;%{pid}&gt;&lt;%{session}&gt;: ", imap_logout_format "in=%i out=%o
/// deleted=%{deleted} expunged=%{expunged} trashed=%{trashed} hdr_count=... body_bytes=..."), so tools that read Dovecot's
/// log read these. They go into the server's log under the program name <c>imap</c>.
/// </summary>
public sealed class ImapSessionLog(MailLog log)
{
    private const string Program = "imap";

    /// <summary>A login that succeeded.</summary>
    public void Login(string user, string method, IPEndPoint client, IPEndPoint local, string session, bool tls) =>
        log.Write(Program, $"imap-login: Login: user=<{user}>, method={method}, rip={client.Address}, lip={local.Address}, mpid={log.ProcessId}{Pop3SessionLog.Security(client, tls)}, session=<{session}>");

    /// <summary>A client that left (or was sent away) without logging in; <paramref name="attempts"/> failed logins.</summary>
    public void LoginEnded(string? user, string? method, int attempts, TimeSpan duration, IPEndPoint client, IPEndPoint local, string session, bool tls, string? reason = null) =>
        log.Write(Program, "imap-login: " + Pop3SessionLog.LoginEndedText(user, method, attempts, duration, client, local, session, tls, reason));

    /// <summary>A failure inside a logged-in session, as Dovecot logs one ("Error: ...") before it disconnects the client.</summary>
    public void Error(string user, string session, string text) =>
        log.Write(Program, $"imap({user})<{log.ProcessId}><{session}>: Error: {text}");

    /// <summary>The end of a logged-in session: "Logged out" or "Disconnected: reason", and imap_logout_format's figures.</summary>
    public void Disconnected(string user, string session, string reason, ImapSessionTally t) =>
        log.Write(Program, $"imap({user})<{log.ProcessId}><{session}>: {reason} in={t.In} out={t.Out} deleted={t.Deleted} expunged={t.Expunged} trashed=0 " +
            $"hdr_count={t.HeaderCount} hdr_bytes={t.HeaderBytes} body_count={t.BodyCount} body_bytes={t.BodyBytes}");
}
