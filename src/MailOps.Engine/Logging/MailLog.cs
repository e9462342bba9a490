using System.Globalization;
using System.Text;

namespace MailOps.Engine.Logging;

/// <summary>
/// Writes the engine's mail log in Postfix's format, one line per event, so that pflogsumm, fail2ban and every
/// admin's grep habits work unchanged. The prefix is what Postfix 3.7's postlogd writes for <c>maillog_file</c>
/// (msg_logger.c: <c>strftime("%b %d %H:%M:%S ")</c>, local time, then the first label of myhostname, then
/// <c>syslog_name/program[pid]: </c>), e.g. <c>Nov 28 05:51:27 mx mailops/smtpd[4711]: connect from localhost[127.0.0.1]</c>.
/// Thread-safe; every line is flushed as it is written; if the file is renamed or removed (log rotation) the next
/// line re-creates it, and <see cref="Reopen"/> does so at once (like <c>postfix logrotate</c>).
/// </summary>
public sealed class MailLog : IDisposable
{
    /// <summary>The syslog name our lines carry before the program, as Postfix's <c>syslog_name</c>; pflogsumm needs <c>--syslog-name=mailops</c>.</summary>
    public const string SyslogName = "mailops";

    private readonly object _gate = new();
    private readonly string? _path;
    private readonly string _host;
    private readonly TimeProvider _time;
    private StreamWriter? _writer;
    private bool _disposed;

    /// <summary>Opens (appending) or creates the log file; its directory is created if missing.</summary>
    /// <param name="path">The log file, or null to only raise <see cref="Written"/>.</param>
    /// <param name="hostname">The server's myhostname; its first label is logged, as Postfix does.</param>
    /// <param name="time">The clock (local time zone of the provider is used); the system clock when null.</param>
    public MailLog(string? path, string hostname, TimeProvider? time = null)
    {
        _path = path is null ? null : Path.GetFullPath(path);
        var dot = hostname.IndexOf('.');
        _host = dot > 0 ? hostname[..dot] : hostname;
        _time = time ?? TimeProvider.System;
        if (_path is not null) Open();
    }

    /// <summary>The process id written in <c>program[pid]</c>; all our programs are one process, so it is ours by default.</summary>
    public int ProcessId { get; init; } = Environment.ProcessId;

    /// <summary>Raised after each line is written (for Get-MailServerLog -Follow, tests, and event forwarding).</summary>
    public event EventHandler<MailLogEntry>? Written;

    /// <summary>smtpd: <c>connect from name[addr]</c>.</summary>
    public void Connect(MailLogClient client) => Write("smtpd", $"connect from {client}");

    /// <summary>smtpd: <c>disconnect from name[addr] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5</c>.</summary>
    public void Disconnect(MailLogClient client, SmtpCommandTally commands) => Write("smtpd", $"disconnect from {client} {commands}");

    /// <summary>smtpd: <c>lost connection after DATA from name[addr]</c> (the client went away mid-session).</summary>
    public void LostConnection(MailLogClient client, string afterCommand) => Write("smtpd", $"lost connection after {afterCommand.ToUpperInvariant()} from {client}");

    /// <summary>smtpd: <c>timeout after DATA from name[addr]</c>.</summary>
    public void Timeout(MailLogClient client, string afterCommand) => Write("smtpd", $"timeout after {afterCommand.ToUpperInvariant()} from {client}");

    /// <summary>smtpd: <c>too many errors after RCPT from name[addr]</c> (the session was ended with 421 4.7.0).</summary>
    public void TooManyErrors(MailLogClient client, string afterCommand) => Write("smtpd", $"too many errors after {afterCommand.ToUpperInvariant()} from {client}");

    /// <summary>
    /// smtpd: <c>QUEUEID: client=name[addr]</c>, with <c>, sasl_method=PLAIN, sasl_username=u</c> when the client authenticated.
    /// This is the line pflogsumm counts as "received".
    /// </summary>
    public void Client(string queueId, MailLogClient client, string? saslMethod = null, string? saslUsername = null)
    {
        var text = $"{queueId}: client={client}";
        if (saslMethod is not null) text += $", sasl_method={saslMethod}, sasl_username={saslUsername}";
        Write("smtpd", text);
    }

    /// <summary>
    /// smtpd: <c>NOQUEUE: reject: RCPT from name[addr]: 550 5.1.1 &lt;r&gt;: Recipient address rejected: ...; from=&lt;s&gt; to=&lt;r&gt; proto=ESMTP helo=&lt;h&gt;</c>.
    /// Postfix writes the queue id instead of NOQUEUE once the transaction has one (a later recipient rejected).
    /// </summary>
    /// <param name="queueId">The transaction's queue id, or null before the first accepted recipient.</param>
    /// <param name="stage">The SMTP command rejected: CONNECT, EHLO, MAIL, RCPT, DATA, END-OF-MESSAGE.</param>
    /// <param name="client">The client.</param>
    /// <param name="reply">The full reply sent: code, enhanced status and text.</param>
    /// <param name="sender">The envelope sender, or null before MAIL FROM (then from= is left out).</param>
    /// <param name="recipient">The recipient, or null when not a recipient decision (then to= is left out).</param>
    /// <param name="protocol">SMTP or ESMTP, as the client greeted.</param>
    /// <param name="helo">The HELO/EHLO name, or null when none was given.</param>
    public void Reject(string? queueId, string stage, MailLogClient client, string reply, string? sender, string? recipient, string protocol, string? helo)
    {
        Write("smtpd", $"{queueId ?? "NOQUEUE"}: reject: {stage} from {client}: {reply};{Transaction(sender, recipient, protocol, helo)}");
    }

    /// <summary>
    /// cleanup: <c>QUEUEID: hold: END-OF-MESSAGE from name[addr]: reason; from=&lt;s&gt; to=&lt;r&gt; proto=ESMTP helo=&lt;h&gt;</c>, the line of a
    /// HOLD action at the end of the message (Postfix's milter form); pflogsumm counts it as "held".
    /// </summary>
    public void Hold(string queueId, MailLogClient client, string reason, string? sender, string? recipient, string protocol, string? helo)
    {
        Write("cleanup", $"{queueId}: hold: END-OF-MESSAGE from {client}: {reason};{Transaction(sender, recipient, protocol, helo)}");
    }

    // smtpd's and cleanup's tail of a reject or hold line: " from=<s> to=<r> proto=ESMTP helo=<h>", leaving out what is unknown.
    private static string Transaction(string? sender, string? recipient, string protocol, string? helo)
    {
        var text = new StringBuilder();
        if (sender is not null) text.Append($" from=<{sender}>");
        if (recipient is not null) text.Append($" to=<{recipient}>");
        text.Append($" proto={protocol}");
        if (helo is not null) text.Append($" helo=<{helo}>");
        return text.ToString();
    }

    /// <summary>cleanup: <c>QUEUEID: message-id=&lt;id&gt;</c>; angle brackets are added when the header value lacks them.</summary>
    public void MessageId(string queueId, string messageId)
    {
        var id = messageId.Trim();
        if (!id.StartsWith('<')) id = $"<{id}>";
        Write("cleanup", $"{queueId}: message-id={id}");
    }

    /// <summary>qmgr: <c>QUEUEID: from=&lt;s&gt;, size=N, nrcpt=N (queue active)</c>; pflogsumm takes sender and size from this line.</summary>
    public void QueueActive(string queueId, string sender, long size, int recipientCount) =>
        Write("qmgr", $"{queueId}: from=<{sender}>, size={size.ToString(CultureInfo.InvariantCulture)}, nrcpt={recipientCount.ToString(CultureInfo.InvariantCulture)} (queue active)");

    /// <summary>qmgr: <c>QUEUEID: from=&lt;s&gt;, status=expired, returned to sender</c> (maximal_queue_lifetime passed).</summary>
    public void Expired(string queueId, string sender) => Write("qmgr", $"{queueId}: from=<{sender}>, status=expired, returned to sender");

    /// <summary>qmgr: <c>QUEUEID: removed</c>, when the queue file is gone because every recipient is done.</summary>
    public void Removed(string queueId) => Write("qmgr", $"{queueId}: removed");

    /// <summary>
    /// postsuper: an administrator's change to a queued message, in Postfix's words: <c>QUEUEID: placed on hold</c>,
    /// <c>QUEUEID: released from hold</c>, <c>QUEUEID: removed</c>.
    /// </summary>
    public void QueueChanged(string queueId, string change) => Write("postsuper", $"{queueId}: {change}");

    /// <summary>
    /// A delivery agent's result for one recipient:
    /// <c>QUEUEID: to=&lt;r&gt;, orig_to=&lt;o&gt;, relay=virtual, delay=0.12, delays=a/b/c/d, dsn=2.0.0, status=sent (delivered to maildir)</c>.
    /// </summary>
    /// <param name="agent">The delivering program: <c>virtual</c>, <c>local</c> or <c>smtp</c>.</param>
    /// <param name="queueId">The queue id.</param>
    /// <param name="recipient">The final recipient (after alias expansion).</param>
    /// <param name="originalRecipient">The address as given in RCPT TO when an alias changed it; null otherwise (then orig_to= is left out).</param>
    /// <param name="relay">The relay field: the agent name for local mailboxes, <c>host[addr]:port</c> or <c>none</c> for remote.</param>
    /// <param name="delays">How long each stage took.</param>
    /// <param name="dsn">The RFC 3463 enhanced status, e.g. 2.0.0, 4.4.1, 5.1.1.</param>
    /// <param name="status">Sent, deferred or bounced.</param>
    /// <param name="reason">The text in parentheses, e.g. <c>delivered to maildir</c>.</param>
    public void Delivery(string agent, string queueId, string recipient, string? originalRecipient, string relay,
        MailDeliveryDelays delays, string dsn, MailDeliveryStatus status, string reason)
    {
        var text = new StringBuilder($"{queueId}: to=<{recipient}>, ");
        if (originalRecipient is not null) text.Append($"orig_to=<{originalRecipient}>, ");
        text.Append($"relay={relay}, delay={MailDeliveryDelays.Format(delays.Total)}, delays={delays}, dsn={dsn}, ");
        text.Append($"status={status.ToString().ToLowerInvariant()} ({reason})");
        Write(agent, text.ToString());
    }

    /// <summary>bounce: <c>QUEUEID: sender non-delivery notification: NEWQUEUEID</c>.</summary>
    public void NonDeliveryNotification(string queueId, string notificationQueueId) =>
        Write("bounce", $"{queueId}: sender non-delivery notification: {notificationQueueId}");

    /// <summary>
    /// The verdicts of one received message, one line per check in the form of the milter or policy daemon Postfix sites
    /// run for it, under our syslog name:
    /// <c>policyd-spf[pid]: QUEUEID: Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=…; helo=…; envelope-from=…; receiver=…</c>
    /// (pypolicyd-spf), <c>opendkim[pid]: QUEUEID: DKIM verification successful (d=… s=…)</c> per signature or
    /// <c>QUEUEID: no signature data</c> (OpenDKIM), and <c>opendmarc[pid]: QUEUEID: example.com pass</c> (OpenDMARC).
    /// </summary>
    public void Verdicts(string queueId, MailOps.Authentication.MessageAuthenticationResult verdicts, MailLogClient client, string? helo, string receiver)
    {
        var spf = verdicts.Spf;
        var identity = verdicts.IsHeloIdentity ? "helo" : "mailfrom";
        var keyword = char.ToUpperInvariant(spf.Keyword[0]) + spf.Keyword[1..];
        Write("policyd-spf", $"{queueId}: Received-SPF: {keyword} ({identity}) identity={identity}; client-ip={client.Address}; helo={helo ?? ""}; " +
            $"envelope-from={(spf.Sender.Length == 0 ? "<>" : spf.Sender)}; receiver={receiver}");
        if (verdicts.Dkim.Count == 0) Write("opendkim", $"{queueId}: no signature data");
        foreach (var d in verdicts.Dkim)
        {
            var key = $"d={d.Domain ?? "?"} s={d.Selector ?? "?"}";
            Write("opendkim", d.Result == "pass"
                ? $"{queueId}: DKIM verification successful ({key})"
                : $"{queueId}: DKIM verification {d.Result} ({key}){(d.Reason is null ? "" : ": " + d.Reason)}");
        }
        var dmarc = verdicts.Dmarc;
        Write("opendmarc", $"{queueId}: {(dmarc.FromDomain.Length == 0 ? "unknown" : dmarc.FromDomain)} {dmarc.Keyword}");
    }

    /// <summary><c>program[pid]: warning: text</c>; pflogsumm lists these under "Warnings".</summary>
    public void Warning(string program, string text) => Write(program, $"warning: {text}");

    /// <summary>Writes one line for <paramref name="program"/> with any message text (the other methods' common path).</summary>
    /// <param name="program">The Postfix-style program name: smtpd, cleanup, qmgr, virtual, local, bounce, master.</param>
    /// <param name="message">The text after <c>program[pid]: </c>; line breaks are replaced, one event is one line.</param>
    public void Write(string program, string message)
    {
        message = message.Replace("\r", " ").Replace("\n", " ");
        var now = _time.GetLocalNow();
        // msg_logger.c uses "%b %d %H:%M:%S" in the C locale: English month, zero-padded day.
        var line = $"{now.ToString("MMM dd HH:mm:ss", CultureInfo.InvariantCulture)} {_host} {SyslogName}/{program}[{ProcessId}]: {message}";
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_path is not null)
            {
                // Rotation by rename (logrotate without copytruncate): the next line starts the new file.
                if (!File.Exists(_path)) Open();
                _writer!.WriteLine(line);
            }
        }
        Written?.Invoke(this, new MailLogEntry(now, program, message, line));
    }

    /// <summary>Closes and reopens the log file, so that a file rotated away is no longer written to.</summary>
    public void Reopen()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_path is not null) Open();
        }
    }

    private void Open()
    {
        _writer?.Dispose();
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete };
        // Mail logs name senders and recipients: not for other users (Debian's /var/log/mail.log is 0640).
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        var stream = new FileStream(_path!, options);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _writer?.Dispose();
        }
    }
}
