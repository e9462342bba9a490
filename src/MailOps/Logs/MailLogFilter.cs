using System.Runtime.CompilerServices;

namespace MailOps.Logs;

/// <summary>
/// Which entries Get-MailLog returns. Time, program, queue id and status are tested line by line. Message-ID, sender and
/// recipient are properties of a message, not of every line: when one of them is set, every line of a queue id whose
/// lines show a match is returned (the client= line comes before the message-id= line, so lines of an open queue id wait
/// until a line decides; a removed queue id that never matched is dropped). Lines without a queue id are returned when
/// they match on their own (a NOQUEUE reject's from=/to=, Dovecot's msgid=).
/// </summary>
public sealed class MailLogFilter
{
    private const int MaxPendingQueueIds = 200_000;

    /// <summary>Entries at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Entries at or before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Entries of these queue ids.</summary>
    public IReadOnlySet<string>? QueueIds { get; init; }

    /// <summary>Entries whose <see cref="MailLogEntry.Program"/> (or service) matches.</summary>
    public Func<string, bool>? Program { get; init; }

    /// <summary>Delivery entries with these results (other entries are left out when set).</summary>
    public IReadOnlySet<MailLogDeliveryStatus>? Status { get; init; }

    /// <summary>Messages whose Message-ID matches (with angle brackets).</summary>
    public Func<string, bool>? MessageId { get; init; }

    /// <summary>Messages whose envelope sender matches.</summary>
    public Func<string, bool>? Sender { get; init; }

    /// <summary>Messages with a recipient (or original recipient) that matches.</summary>
    public Func<string, bool>? Recipient { get; init; }

    private bool Correlated => MessageId is not null || Sender is not null || Recipient is not null;

    /// <summary>The entries of <paramref name="entries"/> this filter keeps, in order.</summary>
    public IEnumerable<MailLogEntry> Apply(IEnumerable<MailLogEntry> entries)
    {
        if (!Correlated)
        {
            foreach (var e in entries) if (Keeps(e)) yield return e;
            yield break;
        }
        var need = (MessageId is null ? 0 : 1) | (Sender is null ? 0 : 2) | (Recipient is null ? 0 : 4);
        var seen = new Dictionary<(string?, string), int>();
        var pending = new Dictionary<(string?, string), List<MailLogEntry>>();
        var matched = new HashSet<(string?, string)>();
        foreach (var e in entries)
        {
            if (e.QueueId is null)
            {
                if ((Evidence(e) & need) == need && Keeps(e)) yield return e;
                continue;
            }
            var key = (e.HostName, e.QueueId);
            if (matched.Contains(key))
            {
                if (Keeps(e)) yield return e;
                if (e.Kind == MailLogEventKind.Removed) matched.Remove(key);
                continue;
            }
            var flags = (seen.GetValueOrDefault(key) | Evidence(e)) & need;
            if (flags == need)
            {
                seen.Remove(key);
                if (pending.Remove(key, out var waiting))
                {
                    foreach (var w in waiting) if (Keeps(w)) yield return w;
                }
                if (Keeps(e)) yield return e;
                if (e.Kind != MailLogEventKind.Removed) matched.Add(key);
                continue;
            }
            if (e.Kind == MailLogEventKind.Removed)
            {
                seen.Remove(key);
                pending.Remove(key);
                continue;
            }
            seen[key] = flags;
            if (!pending.TryGetValue(key, out var list))
            {
                if (pending.Count >= MaxPendingQueueIds) continue; // a pathological log: stop buffering new ids
                pending[key] = list = [];
            }
            list.Add(e);
        }
    }

    /// <summary>True when the entry passes the line-by-line tests (time, program, queue id, status).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Keeps(MailLogEntry e)
    {
        if (Since is { } since && e.Time < since) return false;
        if (Until is { } until && e.Time > until) return false;
        if (Program is not null && !Program(e.Program) && !Program(e.Service)) return false;
        if (QueueIds is not null && (e.QueueId is null || !QueueIds.Contains(e.QueueId))) return false;
        if (Status is not null && (e is not MailLogDeliveryEntry d || !Status.Contains(d.Status))) return false;
        return true;
    }

    // Which message-level criteria this one line satisfies: 1 Message-ID, 2 sender, 4 recipient.
    private int Evidence(MailLogEntry e)
    {
        var flags = 0;
        switch (e)
        {
            case MailLogMessageIdEntry m when MessageId?.Invoke(m.MessageId) == true:
                flags |= 1;
                break;
            case MailLogQueueEntry q when Sender?.Invoke(q.Sender) == true:
                flags |= 2;
                break;
            case MailLogClientEntry { Sender: { } pickupSender } when Sender?.Invoke(pickupSender) == true:
                flags |= 2;
                break;
            case MailLogDeliveryEntry d when Recipient is not null && (Recipient(d.Recipient) || (d.OriginalRecipient is { } o && Recipient(o))):
                flags |= 4;
                break;
            case MailLogRejectEntry r:
                if (r.Sender is { } s && Sender?.Invoke(s) == true) flags |= 2;
                if (r.Recipient is { } t && Recipient?.Invoke(t) == true) flags |= 4;
                break;
            case DovecotDeliveryEntry v:
                if (v.MessageId is { } id && MessageId?.Invoke(id) == true) flags |= 1;
                if (Recipient?.Invoke(v.User) == true) flags |= 4;
                break;
        }
        return flags;
    }
}
