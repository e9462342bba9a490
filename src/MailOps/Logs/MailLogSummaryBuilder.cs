using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace MailOps.Logs;

/// <summary>
/// Counts entries into a <see cref="MailLogSummary"/> by pflogsumm 1.1.5's rules (Debian's /usr/sbin/pflogsumm), so that
/// on the same log the totals are pflogsumm's: a message is received at smtpd's <c>client=</c> (or pickup); its sender and
/// size are counted at qmgr's first <c>from=, size=</c> line, and only for messages received in this log; each
/// <c>status=sent</c> recipient is delivered and adds its message's size; deferred counts messages, deferrals lines;
/// bounces count lines. Only Postfix-format lines of the syslog names in <see cref="SyslogNames"/> count (Dovecot's
/// lines add only the login counts).
/// </summary>
public sealed partial class MailLogSummaryBuilder
{
    private readonly Dictionary<string, string> _receivedFrom = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _sizes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deferredIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Count, long Bytes)> _senders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Count, long Bytes)> _sendingDomains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Count, long Bytes)> _recipients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Count, long Bytes)> _recipientDomains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Count, long Bytes)> _saslUsers = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), long> _rejects = [];
    private readonly Dictionary<(string, string), long> _deferrals = [];
    private readonly Dictionary<(string, string), long> _bounces = [];
    private readonly Dictionary<(string, string), long> _warnings = [];
    private readonly Dictionary<int, DateTimeOffset> _connectTimes = [];
    private readonly HashSet<string> _connectionHosts = new(StringComparer.Ordinal);
    private readonly long[,] _perHour = new long[24, 5];
    private long _received, _delivered, _forwarded, _deferrals_, _bounced, _rejected, _warned, _held, _discarded;
    private long _bytesReceived, _bytesDelivered, _connections, _saslLogins, _logins, _loginFailures;
    private DateTimeOffset? _first, _last;

    /// <summary>The syslog names whose lines count: <c>postfix</c> and the bundled server's <c>mailops</c> by default (pflogsumm's --syslog-name).</summary>
    public IReadOnlySet<string> SyslogNames { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "postfix", "mailops" };

    /// <summary>Counts one entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(MailLogEntry e)
    {
        if (_first is null || e.Time < _first) _first = e.Time;
        if (_last is null || e.Time > _last) _last = e.Time;
        if (e is DovecotLoginEntry login)
        {
            if (login.Kind == MailLogEventKind.Login) _logins++;
            else if (login.Kind == MailLogEventKind.LoginFailed && login.Reason?.Contains("auth failed", StringComparison.Ordinal) == true) _loginFailures++;
            return;
        }
        if (!IsPostfixFormat(e.Program)) return;
        var hour = e.Time.Hour;
        var service = e.Service;
        var isSmtpd = service is "smtpd" or "postscreen";
        switch (e)
        {
            case MailLogRejectEntry r when service == "cleanup" && r.Stage is "header" or "body" or "END-OF-MESSAGE":
                CountReject(r, hour, cleanup: true);
                return;
            case MailLogProblemEntry p when p.QueueId is null:
                Increment(_warnings, (service, Trim(p.Message, 66)));
                return;
            case MailLogRejectEntry r when isSmtpd && r.Action is "reject" or "reject_warning" or "hold" or "discard":
                CountReject(r, hour, cleanup: false);
                return;
            case MailLogClientEntry c when isSmtpd && c.Kind == MailLogEventKind.Client && c.QueueId is { } qid:
                _received++;
                _perHour[hour, 0]++;
                _receivedFrom[qid] = ClientDomain(c.ClientName ?? "", c.ClientAddress ?? "");
                if (c.SaslUsername is { } user)
                {
                    _saslLogins++;
                    Add(_saslUsers, user, 0);
                }
                return;
            case MailLogConnectEntry { Kind: MailLogEventKind.Connect } connect when service == "smtpd" && connect.Pid is { } pid:
                _connectTimes[pid] = e.Time;
                return;
            case MailLogConnectEntry { Kind: MailLogEventKind.Disconnect } disconnect when service == "smtpd" && disconnect.Pid is { } pid:
                if (_connectTimes.Remove(pid))
                {
                    _connections++;
                    _connectionHosts.Add(ClientDomain(disconnect.ClientName, disconnect.ClientAddress));
                }
                return;
        }
        if (isSmtpd || e.QueueId is not { } id) return;
        switch (e)
        {
            case MailLogQueueEntry { Kind: MailLogEventKind.Queued, Size: { } size } q:
                if (_sizes.TryGetValue(id, out var known) && known != 0) return; // pflogsumm: avoid double-counting
                var sender = q.Sender.Length == 0 ? "from=<>" : LowerDomain(q.Sender);
                _sizes[id] = size;
                if (_receivedFrom.Remove(id, out var client))
                {
                    var at = sender.IndexOf('@');
                    var domain = at >= 0 && at < sender.Length - 1 ? sender[(at + 1)..] : client == "pickup" ? sender : client;
                    Add(_sendingDomains, domain, size);
                    Add(_senders, sender, size);
                    _bytesReceived += size;
                }
                return;
            case MailLogDeliveryEntry d:
                var recipient = LowerDomain(d.Recipient);
                var recipientDomain = DomainOfRecipient(recipient);
                switch (d.Status)
                {
                    case MailLogDeliveryStatus.Sent when d.Reason.Contains("forwarded as ", StringComparison.Ordinal):
                        _forwarded++;
                        return;
                    case MailLogDeliveryStatus.Sent:
                        _delivered++;
                        _perHour[hour, 1]++;
                        var bytes = _sizes.GetValueOrDefault(id);
                        Add(_recipientDomains, recipientDomain, bytes);
                        Add(_recipients, recipient, bytes);
                        _bytesDelivered += bytes;
                        return;
                    case MailLogDeliveryStatus.Deferred:
                        var why = SaidTrim(d.Reason, 65);
                        if (why.Length > 4 && char.IsAsciiDigit(why[0]) && char.IsAsciiDigit(why[1]) && char.IsAsciiDigit(why[2]) && why[3] == ' ') why = why[4..];
                        if (why.StartsWith("connect to ", StringComparison.Ordinal)) why = why[11..];
                        Increment(_deferrals, (service, why));
                        _perHour[hour, 2]++;
                        _deferrals_++;
                        _deferredIds.Add(id);
                        return;
                    case MailLogDeliveryStatus.Bounced:
                        var reason = SaidTrim(d.Reason, 66);
                        if (reason.Length > 4 && char.IsAsciiDigit(reason[0]) && reason[3] == ' ') reason = reason[4..];
                        Increment(_bounces, (d.Relay, reason));
                        _perHour[hour, 3]++;
                        _bounced++;
                        return;
                }
                return;
            case MailLogClientEntry { Kind: MailLogEventKind.Pickup } when service == "pickup":
                _received++;
                _perHour[hour, 0]++;
                _receivedFrom[id] = "pickup";
                return;
        }
    }

    /// <summary>Counts every entry of <paramref name="entries"/>.</summary>
    public MailLogSummaryBuilder AddRange(IEnumerable<MailLogEntry> entries)
    {
        foreach (var e in entries) Add(e);
        return this;
    }

    /// <summary>The summary of everything counted so far.</summary>
    public MailLogSummary Build() => new()
    {
        First = _first,
        Last = _last,
        Received = _received,
        Delivered = _delivered,
        Forwarded = _forwarded,
        Deferred = _deferredIds.Count,
        Deferrals = _deferrals_,
        Bounced = _bounced,
        Rejected = _rejected,
        RejectWarnings = _warned,
        Held = _held,
        Discarded = _discarded,
        BytesReceived = _bytesReceived,
        BytesDelivered = _bytesDelivered,
        SenderCount = _senders.Count,
        SendingDomainCount = _sendingDomains.Count,
        RecipientCount = _recipients.Count,
        RecipientDomainCount = _recipientDomains.Count,
        SmtpConnections = _connections,
        SmtpConnectionHosts = _connectionHosts.Count,
        SaslLogins = _saslLogins,
        DovecotLogins = _logins,
        DovecotLoginFailures = _loginFailures,
        PerHour = Enumerable.Range(0, 24).Select(h => new MailLogHourTraffic(h, _perHour[h, 0], _perHour[h, 1], _perHour[h, 2], _perHour[h, 3], _perHour[h, 4])).ToList(),
        Senders = Table(_senders),
        Recipients = Table(_recipients),
        SendingDomains = Table(_sendingDomains),
        RecipientDomains = Table(_recipientDomains),
        SaslUsers = Table(_saslUsers),
        Rejects = Reasons(_rejects),
        DeferralReasons = Reasons(_deferrals),
        BounceReasons = Reasons(_bounces),
        Warnings = Reasons(_warnings),
    };

    private string? _lastProgram;
    private bool _lastProgramCounts;

    private bool IsPostfixFormat(string program)
    {
        // Program names are interned by the parser: the same string object line after line.
        if (ReferenceEquals(program, _lastProgram)) return _lastProgramCounts;
        // pflogsumm: ^(postfix|NAME)(/(smtps|submission))?/cmd
        var slash = program.IndexOf('/');
        _lastProgram = program;
        return _lastProgramCounts = slash > 0 && SyslogNames.Contains(program[..slash]);
    }

    private void CountReject(MailLogRejectEntry r, int hour, bool cleanup)
    {
        switch (r.Action)
        {
            case "reject" or "milter-reject": _rejected++; break;
            case "reject_warning" or "warning": _warned++; break;
            case "hold": _held++; break;
            case "discard": _discarded++; break;
        }
        _perHour[hour, 4]++;
        var reason = cleanup ? Trim(r.Reason, 64) : SmtpdRejectReason(r);
        Increment(_rejects, ($"{r.Action} {r.Stage}", reason));
    }

    private static string SmtpdRejectReason(MailLogRejectEntry r)
    {
        // pflogsumm's proc_smtpd_reject: the reply text reduced to its reason.
        // The reply as smtpd logged it, with the "; from=..." that pflogsumm's patterns expect after it.
        var reply = $"{(r.ReplyCode is { } c ? c + " " : "")}{(r.Dsn is { } d ? d + " " : "")}{r.Reason}; from=<{r.Sender}>";
        string reason;
        if (r.Stage is "RCPT" or "DATA" or "CONNECT")
        {
            reason = AngleAfterCode().Replace(reply, "$1$2", 1);
            reason = ProtocolError().Replace(reason, "$1", 1);
            reason = FirstClause().Replace(reason, "$1", 1);
            reason = AddressRejected().Replace(reason, "$1", 1);
            reason = Blocked().Replace(reason, "blocked", 1);
        }
        else if (r.Stage == "MAIL")
        {
            reason = MailReason().Replace(reply, "$1", 1);
        }
        else
        {
            reason = OtherReason().Replace(reply, "$1", 1);
        }
        return reason;
    }

    [GeneratedRegex(@"^(\d{3} <).*?(>:)")]
    private static partial Regex AngleAfterCode();
    [GeneratedRegex(@"^(?:\d{3} \d\.\d\.\d )(Protocol error);.*$")]
    private static partial Regex ProtocolError();
    [GeneratedRegex(@"^(?:.*?[:;] )(?:\[[^\]]+\] )?([^;,]+)[;,].*$")]
    private static partial Regex FirstClause();
    [GeneratedRegex(@"^((?:Sender|Recipient) address rejected: [^:]+):.*$")]
    private static partial Regex AddressRejected();
    [GeneratedRegex(@"(client|Client host|Sender address) .+? blocked")]
    private static partial Regex Blocked();
    [GeneratedRegex(@"^\d{3} (?:<.+>: )?([^;:]+)[;:]?.*$")]
    private static partial Regex MailReason();
    [GeneratedRegex(@"^(?:.*[:;] )?([^,]+).*$")]
    private static partial Regex OtherReason();
    [GeneratedRegex(@"^(.*)\.([^\.]+)\.([^\.]{3}|[^\.]{2,3}\.[^\.]{2})$")]
    private static partial Regex HostDomain();

    /// <summary>pflogsumm's gimme_domain: the client's address when it has no name, else its name cut to the registered domain (mx.a.example.com: example.com).</summary>
    internal static string ClientDomain(string name, string address)
    {
        if (name.Length == 0 || name == "unknown") return address;
        var m = HostDomain().Match(name);
        return m.Success ? (m.Groups[2].Value + "." + m.Groups[3].Value).ToLowerInvariant() : name;
    }

    private static string LowerDomain(string address)
    {
        var at = address.IndexOf('@');
        return at < 0 ? address : string.Concat(address.AsSpan(0, at), address[at..].ToLowerInvariant());
    }

    private static string DomainOfRecipient(string address)
    {
        var at = address.IndexOf('@');
        return at > 0 ? address[(at + 1)..] : address;
    }

    private static string SaidTrim(string text, int max)
    {
        // pflogsumm's said_string_trimmer: drop "... said: ", then leading "x: " parts, until it fits; else cut.
        while (text.Length > max)
        {
            var said = text.LastIndexOf(" said: ", StringComparison.Ordinal);
            if (said >= 0) { text = text[(said + 7)..]; continue; }
            var colon = text.IndexOf(':');
            if (colon >= 0) { text = text[(colon + 1)..].TrimStart(' '); continue; }
            return text[..(max - 3)] + "...";
        }
        return text;
    }

    private static string Trim(string text, int max) => text.Length > max ? text[..(max - 3)] + "..." : text;

    private static void Add(Dictionary<string, (long Count, long Bytes)> table, string key, long bytes)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(table, key, out _);
        slot = (slot.Count + 1, slot.Bytes + bytes);
    }

    private static void Increment(Dictionary<(string, string), long> table, (string, string) key)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(table, key, out _);
        slot++;
    }

    private static List<MailLogTally> Table(Dictionary<string, (long Count, long Bytes)> table) =>
        table.Select(p => new MailLogTally(p.Key, p.Value.Count, p.Value.Bytes))
            .OrderByDescending(t => t.Count).ThenByDescending(t => t.Bytes).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();

    private static List<MailLogReasonTally> Reasons(Dictionary<(string, string), long> table) =>
        table.Select(p => new MailLogReasonTally(p.Key.Item1, p.Key.Item2, p.Value))
            .OrderByDescending(t => t.Count).ThenBy(t => t.Category, StringComparer.Ordinal).ThenBy(t => t.Reason, StringComparer.Ordinal).ToList();
}
