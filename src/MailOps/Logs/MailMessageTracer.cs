namespace MailOps.Logs;

/// <summary>
/// Follows messages through logs (one host's or several hosts' files read together): smtpd, cleanup, qmgr and the
/// delivery agents under one queue id; on to the next queue id when a reply says <c>queued as ID</c> (a relay to
/// another Postfix) or local says <c>forwarded as ID</c>; across hosts and files by Message-ID; and into Dovecot when
/// its LMTP or LDA logs <c>msgid=...: saved mail to</c>. Reads the entries twice: once to find and link the queue ids,
/// once to collect their lines; only the lines of the traced messages are kept.
/// </summary>
public sealed class MailMessageTracer
{
    /// <summary>Queue ids to start from.</summary>
    public IReadOnlySet<string>? QueueIds { get; init; }
    /// <summary>Messages whose Message-ID matches.</summary>
    public Func<string, bool>? MessageId { get; init; }
    /// <summary>Messages whose envelope sender matches.</summary>
    public Func<string, bool>? Sender { get; init; }
    /// <summary>Messages with a matching recipient or original recipient. Criteria given together must all hold (queue ids and Message-IDs: either).</summary>
    public Func<string, bool>? Recipient { get; init; }

    private sealed class Node
    {
        public string? MessageId;
        public string? Sender;
        public int Flags; // 1 queue id or Message-ID, 2 sender, 4 recipient
        public int Parent = -1;
        public List<string> Next = [];
        public List<string> Recipients = [];
    }

    /// <summary>The traces of the messages that match, in order of arrival.</summary>
    /// <param name="read">Reads the entries from the start; called twice.</param>
    public IReadOnlyList<MailMessageTrace> Trace(Func<IEnumerable<MailLogEntry>> read)
    {
        // Pass 1: one node per (host, queue id), with what links it to others.
        var index = new Dictionary<(string?, string), int>();
        var nodes = new List<Node>();
        var byQueueId = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var byMessageId = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var savedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in read())
        {
            if (e is DovecotDeliveryEntry { MessageId: { } savedId }) savedIds.Add(savedId);
            if (e.QueueId is not { } qid) continue;
            if (!index.TryGetValue((e.HostName, qid), out var n))
            {
                n = nodes.Count;
                nodes.Add(new Node());
                index[(e.HostName, qid)] = n;
                if (!byQueueId.TryGetValue(qid, out var same)) byQueueId[qid] = same = [];
                same.Add(n);
                if (QueueIds?.Contains(qid) == true) nodes[n].Flags |= 1;
            }
            var node = nodes[n];
            switch (e)
            {
                case MailLogMessageIdEntry m:
                    node.MessageId = m.MessageId;
                    if (m.MessageId is not ("<>" or ""))
                    {
                        if (!byMessageId.TryGetValue(m.MessageId, out var list)) byMessageId[m.MessageId] = list = [];
                        list.Add(n);
                    }
                    if (MessageId?.Invoke(m.MessageId) == true) node.Flags |= 1;
                    break;
                case MailLogQueueEntry q when node.Sender is null:
                    node.Sender = q.Sender;
                    if (Sender?.Invoke(q.Sender) == true) node.Flags |= 2;
                    break;
                case MailLogDeliveryEntry d:
                    if (d.NextQueueId is { } next) node.Next.Add(next);
                    node.Recipients.Add(d.Recipient);
                    if (Recipient is not null && (Recipient(d.Recipient) || (d.OriginalRecipient is { } o && Recipient(o)))) node.Flags |= 4;
                    break;
            }
        }

        // Link: same Message-ID, "queued as" / "forwarded as" to the same id on another host (or this one).
        int Find(int i) { while (nodes[i].Parent >= 0) i = nodes[i].Parent; return i; }
        void Union(int a, int b) { a = Find(a); b = Find(b); if (a != b) nodes[b].Parent = a; }
        foreach (var same in byMessageId.Values)
        {
            for (var i = 1; i < same.Count; i++) Union(same[0], same[i]);
        }
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var next in nodes[i].Next)
            {
                if (byQueueId.TryGetValue(next, out var targets)) foreach (var t in targets) if (t != i) Union(i, t);
            }
        }
        // A message is traced when its queue ids together meet every criterion given (queue id or Message-ID, sender, recipient).
        var need = (QueueIds is not null || MessageId is not null ? 1 : 0) | (Sender is null ? 0 : 2) | (Recipient is null ? 0 : 4);
        var met = new Dictionary<int, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].Flags != 0) met[Find(i)] = met.GetValueOrDefault(Find(i)) | nodes[i].Flags;
        }
        var roots = met.Where(p => need != 0 && (p.Value & need) == need).Select(p => p.Key).ToHashSet();
        if (roots.Count == 0 && MessageId is null) return [];

        // Message-IDs of each traced message, to pick up Dovecot's lines.
        var messageIdRoot = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, same) in byMessageId)
        {
            var root = Find(same[0]);
            if (roots.Contains(root)) messageIdRoot[id] = root;
        }
        // A message only Dovecot saw (delivered by LDA from elsewhere) is traced by its Message-ID alone.
        var dovecotOnly = new Dictionary<string, int>(StringComparer.Ordinal);
        if (MessageId is not null)
        {
            foreach (var id in savedIds)
            {
                if (!messageIdRoot.ContainsKey(id) && MessageId(id)) dovecotOnly[id] = -1 - dovecotOnly.Count;
            }
        }

        // Pass 2: the lines of the traced messages.
        var lines = new Dictionary<int, List<MailLogEntry>>();
        foreach (var e in read())
        {
            int root;
            if (e.QueueId is { } qid && index.TryGetValue((e.HostName, qid), out var n) && roots.Contains(root = Find(n))) { }
            else if (e is DovecotDeliveryEntry { MessageId: { } id } && (messageIdRoot.TryGetValue(id, out root) || dovecotOnly.TryGetValue(id, out root))) { }
            else continue;
            if (!lines.TryGetValue(root, out var list)) lines[root] = list = [];
            list.Add(e);
        }
        return lines.Values.Select(Build).OrderBy(t => t.FirstSeen).ToList();
    }

    private static MailMessageTrace Build(List<MailLogEntry> entries)
    {
        var ordered = entries.OrderBy(e => e.Time).ThenBy(e => e.LineNumber).ToList();
        var groups = ordered
            .GroupBy(e => e.QueueId is null ? (e.HostName, "dovecot:" + e.ComputerName) : (e.HostName, e.QueueId))
            .Select(g => g.ToList()).ToList();
        // Depth along "queued as"/"forwarded as" links, so that a next hop logged in the same second still comes after;
        // Dovecot's lines come after every Postfix hop.
        var depth = new Dictionary<List<MailLogEntry>, int>();
        foreach (var g in groups) depth[g] = g[0].QueueId is null ? int.MaxValue : 0;
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var g in groups.Where(g => g[0].QueueId is not null))
            {
                foreach (var next in g.OfType<MailLogDeliveryEntry>().Select(d => d.NextQueueId).OfType<string>())
                {
                    foreach (var t in groups.Where(t => t != g && t[0].QueueId == next && depth[t] <= depth[g] && depth[g] < groups.Count))
                    {
                        depth[t] = depth[g] + 1;
                        changed = true;
                    }
                }
            }
        }
        var hops = groups
            .OrderBy(g => depth[g]).ThenBy(g => g[0].Time)
            .Select(list =>
            {
                var client = list.OfType<MailLogClientEntry>().FirstOrDefault();
                return new MailTraceHop
                {
                    HostName = list[0].HostName,
                    ComputerName = list[0].ComputerName,
                    QueueId = list[0].QueueId,
                    Client = client is null ? null : client.Kind == MailLogEventKind.Pickup ? "pickup" : $"{client.ClientName}[{client.ClientAddress}]",
                    Programs = list.Select(e => e.Service).Distinct().ToList(),
                    Arrived = list[0].Time,
                    Left = list[^1].Time,
                    Removed = list.Any(e => e.Kind == MailLogEventKind.Removed),
                    Entries = list,
                };
            }).ToList();
        ordered = hops.SelectMany(h => h.Entries).ToList();

        var recipients = new List<MailTraceRecipient>();
        MailTraceRecipient? Find(string address) =>
            recipients.FirstOrDefault(r => string.Equals(r.Recipient, address, StringComparison.OrdinalIgnoreCase))
            ?? recipients.FirstOrDefault(r => string.Equals(r.OriginalRecipient, address, StringComparison.OrdinalIgnoreCase));
        foreach (var e in ordered)
        {
            switch (e)
            {
                case MailLogDeliveryEntry d:
                    // A later hop's line for the same recipient (or its original address) is its newer fate.
                    var r = Find(d.Recipient) ?? (d.OriginalRecipient is { } o ? Find(o) : null);
                    if (r is null) recipients.Add(r = new MailTraceRecipient { Recipient = d.Recipient });
                    r.Recipient = d.Recipient;
                    r.OriginalRecipient ??= d.OriginalRecipient;
                    r.Status = d.Status;
                    r.HostName = d.HostName;
                    r.QueueId = d.QueueId;
                    r.Relay = d.Relay;
                    r.Dsn = d.Dsn;
                    r.Reason = d.Reason;
                    r.Attempts++;
                    r.Time = d.Time;
                    break;
                case DovecotDeliveryEntry v:
                    var saved = Find(v.User) ?? recipients.FirstOrDefault(x => x.Recipient.StartsWith(v.User + "@", StringComparison.OrdinalIgnoreCase));
                    if (saved is null) recipients.Add(saved = new MailTraceRecipient { Recipient = v.User, Status = MailLogDeliveryStatus.Sent, Attempts = 1 });
                    saved.Mailbox = v.Mailbox;
                    saved.Relay = "dovecot";
                    saved.Time = v.Time;
                    break;
            }
        }
        var status = recipients.Count == 0 ? MailLogDeliveryStatus.Unknown
            : recipients.Any(r => r.Status == MailLogDeliveryStatus.Deferred) ? MailLogDeliveryStatus.Deferred
            : recipients.Any(r => r.Status == MailLogDeliveryStatus.Bounced) ? MailLogDeliveryStatus.Bounced
            : recipients.Any(r => r.Status == MailLogDeliveryStatus.Expired) ? MailLogDeliveryStatus.Expired
            : recipients.All(r => r.Status == MailLogDeliveryStatus.Sent) ? MailLogDeliveryStatus.Sent : MailLogDeliveryStatus.Unknown;
        var first = hops.FirstOrDefault(h => h.QueueId is not null) ?? hops[0];
        return new MailMessageTrace
        {
            MessageId = ordered.OfType<MailLogMessageIdEntry>().FirstOrDefault()?.MessageId ?? ordered.OfType<DovecotDeliveryEntry>().FirstOrDefault()?.MessageId,
            Sender = first.Entries.OfType<MailLogQueueEntry>().FirstOrDefault()?.Sender,
            Size = first.Entries.OfType<MailLogQueueEntry>().FirstOrDefault()?.Size,
            Hops = hops,
            Recipients = recipients,
            Notifications = ordered.OfType<MailLogNotificationEntry>().Select(n => n.NotificationQueueId).Distinct().ToList(),
            FirstSeen = ordered.Min(e => e.Time),
            LastSeen = recipients.Count > 0 ? recipients.Max(r => r.Time) : ordered.Max(e => e.Time),
            Status = status,
        };
    }
}
