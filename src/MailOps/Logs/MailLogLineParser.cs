using System.Runtime.CompilerServices;

namespace MailOps.Logs;

/// <summary>
/// Parses one mail log line into a typed <see cref="MailLogEntry"/>: a left-to-right reader over the line (timestamp,
/// host, <c>program[pid]: </c>, then the message in the shapes Postfix's daemons, Dovecot and the bundled server write),
/// with no regular expressions. Formats: traditional syslog (RFC 3164), RFC 3339 timestamps (rsyslog's high-precision
/// format), <c>journalctl -o short</c>/<c>short-iso</c>, Postfix's <c>maillog_file</c>, and Dovecot's own <c>log_path</c>
/// (<c>Nov 28 08:54:30 imap-login: Info: Login: ...</c>, no host). One parser per file: it carries the year inference.
/// </summary>
public sealed class MailLogLineParser
{
    private static readonly string[] Severities = ["warning", "error", "fatal", "panic"];
    private static readonly string[] DovecotLevels = ["Info", "Warning", "Error", "Fatal", "Panic", "Debug"];
    private static readonly string[] RejectActions = ["reject", "reject_warning", "hold", "discard", "milter-reject", "redirect", "filter"];

    private readonly MailLogTimestampReader _clock;
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _nameLookup;

    /// <summary>A parser whose year-less timestamps are read by <paramref name="clock"/>.</summary>
    public MailLogLineParser(MailLogTimestampReader clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _nameLookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    // The hot paths are marked AggressiveOptimization: a cmdlet often parses one big file once, and would otherwise
    // spend much of it in tier-0 (unoptimised) code.
    /// <summary>The typed entry for <paramref name="line"/>, or null for a line that is not a log line (blank, journalctl's <c>-- ... --</c> notes, no timestamp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public MailLogEntry? Parse(string line)
    {
        var s = line.AsSpan();
        if (s.Length == 0 || s.StartsWith("-- ")) return null;
        if (!_clock.TryRead(s, out var time, out var at)) return null;
        at = SkipSpaces(s, at);
        var first = Token(s, at);
        if (first.Length == 0) return null;
        if (first[^1] == ':')
        {
            // Dovecot's own log file: "Nov 28 08:54:30 imap-login: Info: Login: ..." (log_timestamp, then the process).
            return ParseDovecot(line, at, time, null, "dovecot", null, ownFile: true);
        }
        var host = Intern(first);
        at = SkipSpaces(s, at + first.Length);
        // program[pid]: or program:
        var programStart = at;
        while (at < s.Length && s[at] != '[' && s[at] != ':' && s[at] != ' ') at++;
        if (at >= s.Length) return null;
        var program = Intern(s[programStart..at]);
        int? pid = null;
        if (s[at] == '[')
        {
            var close = s[at..].IndexOf(']');
            if (close < 0) return null;
            pid = ParseInt(s.Slice(at + 1, close - 1));
            at += close + 1;
        }
        if (at >= s.Length || s[at] != ':') return null;
        at = SkipSpaces(s, at + 1);
        // Solaris/old rsyslog tag: "[ID 197553 mail.info] "
        if (s[at..].StartsWith("[ID "))
        {
            var close = s[at..].IndexOf("] ");
            if (close > 0) at += close + 2;
        }
        if (program.StartsWith("dovecot", StringComparison.Ordinal)) return ParseDovecot(line, at, time, host, program, pid, ownFile: false);
        var slash = program.LastIndexOf('/');
        var service = slash >= 0 ? Intern(program.AsSpan(slash + 1)) : program;
        return ParsePostfix(line, at, time, host, program, service, pid);
    }

    // ---- Postfix and the bundled server ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private MailLogEntry ParsePostfix(string line, int at, DateTimeOffset time, string host, string program, string service, int? pid)
    {
        var text = line[at..];
        var t = text.AsSpan();
        var head = new Header(time, host, program, service, pid, text);

        if (Severity(t) is { } severity)
            return head.Fill(new MailLogProblemEntry { Kind = MailLogEventKind.Problem, Severity = severity, Message = text[(severity.Length + 2)..] });

        if (t.StartsWith("connect from "))
        {
            var (name, address) = ClientOf(t[13..]);
            return head.Fill(new MailLogConnectEntry { Kind = MailLogEventKind.Connect, ClientName = name, ClientAddress = address });
        }
        if (t.StartsWith("disconnect from "))
        {
            var rest = t[16..];
            var space = rest.IndexOf(' ');
            var (name, address) = ClientOf(space < 0 ? rest : rest[..space]);
            return head.Fill(new MailLogConnectEntry { Kind = MailLogEventKind.Disconnect, ClientName = name, ClientAddress = address, Commands = space < 0 ? null : rest[(space + 1)..].ToString() });
        }
        foreach (var lost in (ReadOnlySpan<string>)["lost connection after ", "timeout after ", "too many errors after "])
        {
            if (!t.StartsWith(lost)) continue;
            var rest = t[lost.Length..];
            var from = rest.IndexOf(" from ");
            if (from < 0) break;
            var (name, address) = ClientOf(rest[(from + 6)..]);
            return head.Fill(new MailLogConnectEntry { Kind = MailLogEventKind.LostConnection, ClientName = name, ClientAddress = address, AfterCommand = rest[..from].ToString() });
        }

        string? queueId = null;
        int bodyAt;
        if (t.StartsWith("NOQUEUE: "))
        {
            bodyAt = 9;
        }
        else
        {
            var idLength = QueueIdLength(t);
            if (idLength == 0) return head.Fill(new MailLogEntry { Kind = MailLogEventKind.Other });
            queueId = text[..idLength];
            bodyAt = idLength + 2;
        }
        head.QueueId = queueId;
        var body = t[bodyAt..];

        if (body.StartsWith("client="))
            return head.Fill(ParseClient(body[7..]));
        if (body.StartsWith("message-id="))
            return head.Fill(new MailLogMessageIdEntry { Kind = MailLogEventKind.MessageId, MessageId = body[11..].Trim().ToString() });
        if (body.StartsWith("to=<"))
            return head.Fill(ParseDelivery(body));
        if (body.StartsWith("from=<"))
            return head.Fill(ParseQueue(body));
        if (body.SequenceEqual("removed"))
            return head.Fill(new MailLogEntry { Kind = MailLogEventKind.Removed });
        if (body.StartsWith("uid=") || body.StartsWith("sender="))
            return head.Fill(ParsePickup(body));

        var colon = body.IndexOf(": ");
        if (colon > 0)
        {
            var word = body[..colon];
            foreach (var action in RejectActions)
            {
                if (word.SequenceEqual(action)) return head.Fill(ParseReject(action, body[(colon + 2)..]));
            }
            // cleanup's header_checks WARN: "QUEUEID: warning: header Subject: ... from client; from=<> to=<> ..."
            if (word.SequenceEqual("warning") && service == "cleanup" && IsCheckedPart(body[(colon + 2)..]))
                return head.Fill(ParseReject("warning", body[(colon + 2)..]));
            if (Severity(body) is { } qidSeverity)
                return head.Fill(new MailLogProblemEntry { Kind = MailLogEventKind.Problem, Severity = qidSeverity, Message = body[(qidSeverity.Length + 2)..].ToString() });
            var notification = body.IndexOf(" notification: ");
            if (notification > 0)
            {
                return head.Fill(new MailLogNotificationEntry
                {
                    Kind = MailLogEventKind.Notification,
                    Notification = body[..notification].ToString(),
                    NotificationQueueId = body[(notification + 15)..].Trim().ToString(),
                });
            }
        }
        return head.Fill(new MailLogEntry { Kind = MailLogEventKind.Other });
    }

    private static bool IsCheckedPart(ReadOnlySpan<char> s) => s.StartsWith("header ") || s.StartsWith("body ") || s.StartsWith("END-OF-MESSAGE");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static MailLogClientEntry ParseClient(ReadOnlySpan<char> s)
    {
        // client=name[addr][:port][, orig_queue_id=..][, orig_client=..][, sasl_method=M, sasl_username=U[, sasl_sender=S]]
        var comma = s.IndexOf(", ");
        var (name, address) = ClientOf(comma < 0 ? s : s[..comma]);
        string? method = null, user = null;
        if (comma >= 0)
        {
            var fields = new FieldReader(s[(comma + 2)..]);
            while (fields.Next(out var key, out var value))
            {
                if (key.SequenceEqual("sasl_method")) method = value.ToString();
                else if (key.SequenceEqual("sasl_username")) user = value.ToString();
            }
        }
        return new MailLogClientEntry { Kind = MailLogEventKind.Client, ClientName = name, ClientAddress = address, SaslMethod = method, SaslUsername = user };
    }

    private static MailLogClientEntry ParsePickup(ReadOnlySpan<char> s)
    {
        // pickup: "uid=0 from=<root>" (or "sender=<...>" in old versions)
        int? uid = null;
        string? sender = null;
        foreach (var part in s.Split(' '))
        {
            var p = s[part];
            if (p.StartsWith("uid=")) uid = ParseInt(p[4..]);
            else if (p.StartsWith("from=") || p.StartsWith("sender=")) sender = Unangle(p[(p.IndexOf('=') + 1)..]).ToString();
        }
        return new MailLogClientEntry { Kind = MailLogEventKind.Pickup, Uid = uid, Sender = sender };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static MailLogEntry ParseQueue(ReadOnlySpan<char> s)
    {
        string sender = "";
        long? size = null;
        int? count = null;
        var expired = false;
        var fields = new FieldReader(s);
        while (fields.Next(out var key, out var value))
        {
            if (key.SequenceEqual("from")) sender = value.ToString();
            else if (key.SequenceEqual("size")) size = ParseLong(value);
            else if (key.SequenceEqual("nrcpt")) count = ParseInt(value.IndexOf(' ') is var sp and > 0 ? value[..sp] : value);
            else if (key.SequenceEqual("status") && value.StartsWith("expired")) expired = true;
        }
        return new MailLogQueueEntry { Kind = expired ? MailLogEventKind.Expired : MailLogEventKind.Queued, Sender = sender, Size = size, RecipientCount = count };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static MailLogDeliveryEntry ParseDelivery(ReadOnlySpan<char> s)
    {
        string recipient = "", relay = "", reason = "";
        string? original = null, delays = null, dsn = null, next = null;
        double? delay = null;
        var status = MailLogDeliveryStatus.Unknown;
        var forwarded = false;
        var fields = new FieldReader(s);
        while (fields.Next(out var key, out var value))
        {
            switch (key)
            {
                case "to": recipient = value.ToString(); break;
                case "orig_to": original = value.ToString(); break;
                case "relay": relay = value.ToString(); break;
                case "delay": delay = double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null; break;
                case "delays": delays = value.ToString(); break;
                case "dsn": dsn = value.ToString(); break;
                case "status":
                    // The last field: "sent (250 2.0.0 Ok: queued as X)", the rest of the line.
                    var rest = fields.Rest(value);
                    var space = rest.IndexOf(' ');
                    var word = space < 0 ? rest : rest[..space];
                    status = word switch
                    {
                        "sent" => MailLogDeliveryStatus.Sent,
                        "deferred" => MailLogDeliveryStatus.Deferred,
                        "bounced" => MailLogDeliveryStatus.Bounced,
                        "expired" => MailLogDeliveryStatus.Expired,
                        _ => MailLogDeliveryStatus.Unknown,
                    };
                    if (space > 0)
                    {
                        var r = rest[(space + 1)..].Trim();
                        if (r.Length >= 2 && r[0] == '(' && r[^1] == ')') r = r[1..^1];
                        reason = r.ToString();
                        var f = r.IndexOf("forwarded as ");
                        if (f >= 0) { forwarded = status == MailLogDeliveryStatus.Sent; next = Word(r[(f + 13)..]); }
                        var q = r.IndexOf("queued as ");
                        if (q >= 0) next = Word(r[(q + 10)..]);
                    }
                    fields.End();
                    break;
            }
        }
        return new MailLogDeliveryEntry
        {
            Kind = MailLogEventKind.Delivery,
            Recipient = recipient,
            OriginalRecipient = original,
            Relay = relay,
            Delay = delay,
            Delays = delays,
            Dsn = dsn,
            Status = status,
            Reason = reason,
            NextQueueId = next,
            Forwarded = forwarded,
        };
    }

    private static MailLogRejectEntry ParseReject(string action, ReadOnlySpan<char> s)
    {
        // smtpd:   "RCPT from name[addr]: 550 5.1.1 <r>: Recipient address rejected: ...; from=<s> to=<r> proto=ESMTP helo=<h>"
        // cleanup: "header Subject: x from name[addr]; from=<s> to=<r> proto=ESMTP helo=<h>: 5.7.1 text"
        var space = s.IndexOf(' ');
        var stage = space < 0 ? s : s[..space];
        var rest = space < 0 ? [] : s[(space + 1)..];
        var fieldsAt = LastFieldsStart(rest);
        var main = fieldsAt < 0 ? rest : rest[..fieldsAt];
        var tail = fieldsAt < 0 ? [] : rest[(fieldsAt + 2)..];
        string? clientName = null, clientAddress = null, dsn = null;
        int? code = null;
        ReadOnlySpan<char> reason;
        var cleanupPart = stage.SequenceEqual("header") || stage.SequenceEqual("body") || stage.SequenceEqual("END-OF-MESSAGE");
        if (!cleanupPart && main.StartsWith("from "))
        {
            var colon = main.IndexOf(": ");
            var client = colon < 0 ? main[5..] : main[5..colon];
            (clientName, clientAddress) = ClientOf(client);
            reason = colon < 0 ? [] : main[(colon + 2)..];
            if (reason.Length >= 4 && IsDigits(reason[..3]) && reason[3] == ' ')
            {
                code = ParseInt(reason[..3]);
                reason = reason[4..];
            }
            if (DsnLength(reason) is var n and > 0)
            {
                dsn = reason[..n].ToString();
                reason = reason[(n + 1)..];
            }
        }
        else
        {
            // "Subject: x from name[addr]": the client is the last " from name[addr]".
            var from = main.LastIndexOf(" from ");
            if (from >= 0 && main[^1] == ']')
            {
                (clientName, clientAddress) = ClientOf(main[(from + 6)..]);
                main = main[..from];
            }
            reason = main;
        }
        string? sender = null, recipient = null, proto = null, helo = null;
        var fields = new FieldReader(tail, ' ');
        while (fields.Next(out var key, out var value))
        {
            switch (key)
            {
                case "from": sender = value.ToString(); break;
                case "to": recipient = value.ToString(); break;
                case "proto": proto = value.ToString(); break;
                case "helo":
                    helo = value.ToString();
                    // cleanup: "helo=<h>: 5.7.1 text"
                    var after = fields.Remaining;
                    if (after.StartsWith(": ") && DsnLength(after[2..]) is var m and > 0) dsn = after.Slice(2, m).ToString();
                    fields.End();
                    break;
            }
        }
        return new MailLogRejectEntry
        {
            Kind = MailLogEventKind.Reject,
            Action = action,
            Stage = stage.ToString(),
            ClientName = clientName,
            ClientAddress = clientAddress,
            ReplyCode = code,
            Dsn = dsn,
            Reason = reason.ToString(),
            Sender = sender,
            Recipient = recipient,
            Protocol = proto,
            Helo = helo,
        };
    }

    private static int LastFieldsStart(ReadOnlySpan<char> s)
    {
        // The reply text may itself contain "; ", so take the last "; from=" (or "; to=", "; proto=" when from= is absent).
        var at = s.LastIndexOf("; from=<");
        if (at < 0) at = s.LastIndexOf("; to=<");
        if (at < 0) at = s.LastIndexOf("; proto=");
        return at;
    }

    // ---- Dovecot ----

    private MailLogEntry ParseDovecot(string line, int at, DateTimeOffset time, string? host, string program, int? pid, bool ownFile)
    {
        var text = line[at..];
        var s = text.AsSpan();
        // service[(user|pid)][<pid>][<session>]: [Level: ]message
        var i = 0;
        while (i < s.Length && s[i] != '(' && s[i] != '<' && s[i] != ':' && s[i] != ' ') i++;
        var service = Intern(s[..i]);
        string? user = null, session = null;
        if (i < s.Length && s[i] == '(')
        {
            var close = s[i..].IndexOf(')');
            if (close > 0)
            {
                var inner = s.Slice(i + 1, close - 1);
                if (IsDigits(inner)) pid = ParseInt(inner); else user = inner.ToString();
                i += close + 1;
            }
        }
        for (var n = 0; n < 2 && i < s.Length && s[i] == '<'; n++)
        {
            var close = s[i..].IndexOf('>');
            if (close < 0) break;
            var inner = s.Slice(i + 1, close - 1);
            if (n == 0 && IsDigits(inner)) pid = ParseInt(inner); else session = inner.ToString();
            i += close + 1;
        }
        var head = new Header(time, host, program, service, pid, text);
        if (i >= s.Length || s[i] != ':') return head.Fill(new MailLogEntry { Kind = MailLogEventKind.Other });
        var m = s[SkipSpaces(s, i + 1)..];
        foreach (var level in DovecotLevels)
        {
            if (m.Length > level.Length + 1 && m.StartsWith(level) && m[level.Length] == ':' && m[level.Length + 1] == ' ')
            {
                m = m[(level.Length + 2)..];
                if (level is "Warning" or "Error" or "Fatal" or "Panic")
                    return head.Fill(new MailLogProblemEntry { Kind = MailLogEventKind.Problem, Severity = level.ToLowerInvariant(), Message = m.ToString() });
                break;
            }
        }
        if (!ownFile && Severity(m) is { } severity)
            return head.Fill(new MailLogProblemEntry { Kind = MailLogEventKind.Problem, Severity = severity, Message = m[(severity.Length + 2)..].ToString() });

        if (service.EndsWith("-login", StringComparison.Ordinal))
        {
            var protocol = service[..^6];
            if (m.StartsWith("Login: ")) return head.Fill(ParseLogin(MailLogEventKind.Login, protocol, null, m[7..]));
            // "Disconnected: Connection closed (auth failed, 1 attempts in 6 secs): user=<u>, ..." or "Aborted login (...): user=<>, ..."
            var fieldsAt = m.IndexOf(": user=<");
            if (fieldsAt < 0) fieldsAt = m.IndexOf(": rip=");
            if (fieldsAt > 0)
            {
                var why = m[..fieldsAt];
                if (why.StartsWith("Disconnected: ")) why = why[14..];
                return head.Fill(ParseLogin(MailLogEventKind.LoginFailed, protocol, why.ToString(), m[(fieldsAt + 2)..]));
            }
        }
        else if (m.StartsWith("Disconnected"))
        {
            var why = m[12..].TrimStart(':').Trim();
            return head.Fill(new DovecotLoginEntry { Kind = MailLogEventKind.Logout, Protocol = service, User = user, Session = session, Reason = why.ToString() });
        }
        else if (user is not null && (service is "lmtp" or "lda" || m.StartsWith("msgid=") || m.StartsWith("sieve: ")))
        {
            if (m.StartsWith("sieve: ")) m = m[7..];
            string? messageId = null;
            if (m.StartsWith("msgid="))
            {
                var end = m.IndexOf(": ");
                if (end < 0) end = m.Length;
                messageId = m[6..end].ToString();
                m = end < m.Length ? m[(end + 2)..] : [];
            }
            string? mailbox = null;
            if (m.StartsWith("saved mail to ")) mailbox = m[14..].ToString();
            else if (m.StartsWith("stored mail into mailbox '")) mailbox = m[26..].TrimEnd('\'').ToString();
            if (mailbox is not null)
                return head.Fill(new DovecotDeliveryEntry { Kind = MailLogEventKind.Saved, Protocol = service, User = user, MessageId = messageId, Mailbox = mailbox, Session = session });
        }
        return head.Fill(new MailLogEntry { Kind = MailLogEventKind.Other });
    }

    private static DovecotLoginEntry ParseLogin(MailLogEventKind kind, string protocol, string? reason, ReadOnlySpan<char> s)
    {
        string? user = null, method = null, rip = null, lip = null, session = null;
        bool tls = false, secured = false;
        var fields = new FieldReader(s);
        while (fields.Next(out var key, out var value))
        {
            switch (key)
            {
                case "user": user = value.Length == 0 ? null : value.ToString(); break;
                case "method": method = value.ToString(); break;
                case "rip": rip = value.ToString(); break;
                case "lip": lip = value.ToString(); break;
                case "session": session = value.ToString(); break;
                case "TLS": tls = secured = true; break;
                case "secured": secured = true; break;
            }
        }
        return new DovecotLoginEntry
        {
            Kind = kind, Protocol = protocol, User = user, Method = method, RemoteAddress = rip, LocalAddress = lip,
            Tls = tls, Secured = secured, Session = session, Reason = reason,
        };
    }

    // ---- shared pieces ----

    private sealed class Header(DateTimeOffset time, string? host, string program, string service, int? pid, string text)
    {
        public string? QueueId { get; set; }

        public MailLogEntry Fill(MailLogEntry entry)
        {
            entry.Time = time;
            entry.HostName = host;
            entry.Program = program;
            entry.Service = service;
            entry.Pid = pid;
            entry.QueueId = QueueId;
            entry.Text = text;
            return entry;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? Severity(ReadOnlySpan<char> s)
    {
        foreach (var severity in Severities)
        {
            if (s.Length > severity.Length + 1 && s.StartsWith(severity) && s[severity.Length] == ':' && s[severity.Length + 1] == ' ') return severity;
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int QueueIdLength(ReadOnlySpan<char> s)
    {
        // Short ids are upper-case hex (5+), long ids (enable_long_queue_ids) and the bundled server's are 10+ of
        // [0-9A-Za-z]; either way followed by ": ". Words such as "warning" are neither (no digit, not hex).
        var n = 0;
        var digit = false;
        var hex = true;
        while (n < s.Length && char.IsAsciiLetterOrDigit(s[n]))
        {
            digit |= char.IsAsciiDigit(s[n]);
            hex &= char.IsAsciiHexDigitUpper(s[n]);
            n++;
        }
        if (n < 5 || n + 1 >= s.Length || s[n] != ':' || s[n + 1] != ' ') return 0;
        return digit || (hex && n >= 8) ? n : 0;
    }

    private static (string Name, string Address) ClientOf(ReadOnlySpan<char> s)
    {
        // name[addr] or name[addr]:port
        var open = s.IndexOf('[');
        if (open < 0) return (s.ToString(), "");
        var close = s.LastIndexOf(']');
        if (close < open) close = s.Length;
        return (s[..open].ToString(), s[(open + 1)..close].ToString());
    }

    private static ReadOnlySpan<char> Unangle(ReadOnlySpan<char> s) =>
        s.Length >= 2 && s[0] == '<' && s[^1] == '>' ? s[1..^1] : s;

    private static string Word(ReadOnlySpan<char> s)
    {
        var n = 0;
        while (n < s.Length && char.IsAsciiLetterOrDigit(s[n])) n++;
        return s[..n].ToString();
    }

    private static int DsnLength(ReadOnlySpan<char> s)
    {
        // d.d{1,3}.d{1,3} followed by a space (RFC 3463 3.1)
        if (s.Length < 6 || s[0] is not ('2' or '4' or '5') || s[1] != '.') return 0;
        var i = 2;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 2 || i >= s.Length || s[i] != '.') return 0;
        var j = ++i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == j || i >= s.Length || s[i] != ' ') return 0;
        return i;
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        if (s.Length == 0) return false;
        foreach (var c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    private static int? ParseInt(ReadOnlySpan<char> s) => int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;

    private static long? ParseLong(ReadOnlySpan<char> s) => long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;

    private static int SkipSpaces(ReadOnlySpan<char> s, int at)
    {
        while (at < s.Length && s[at] == ' ') at++;
        return at;
    }

    private static ReadOnlySpan<char> Token(ReadOnlySpan<char> s, int at)
    {
        var end = s[at..].IndexOf(' ');
        return end < 0 ? s[at..] : s.Slice(at, end);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string Intern(ReadOnlySpan<char> s)
    {
        if (_nameLookup.TryGetValue(s, out var known)) return known;
        var value = s.ToString();
        if (_names.Count < 4096) _names[value] = value;
        return value;
    }
}
