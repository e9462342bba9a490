using System.Collections.Concurrent;
using System.Text;
using MailOps.Engine.Configuration;
using MailOps.Engine.Logging;
using MailOps.Engine.Policy;
using MailOps.Engine.Queue;
using MailOps.Engine.Store;
using MailOps.Queue;

namespace MailOps.Engine.Delivery;

/// <summary>
/// Takes messages from the queue and delivers them to local mailboxes: Postfix's qmgr (incoming to active), cleanup's
/// virtual alias expansion, and the virtual delivery agents. One dispatcher hands whole messages to up to
/// <see cref="Concurrency"/> workers at once (Postfix runs parallel delivery agents the same way); never two workers on
/// one message, and copies to one mailbox queue behind its dovecot-uidlist lock. Every recipient is delivered once: a
/// message found in active that this run did not move there, or in incoming by the run's first pass (a power loss may
/// undo the unsynced move into active), is "maybe delivered", and a copy already in the mailbox is recognised, not
/// repeated; the envelope is rewritten only when the message stays queued.
/// It is also the queue manager for the rest of the path: non-local recipients go to <see cref="Remote"/> (Postfix's
/// smtp), deferred messages return to active when their <see cref="Envelope.NextAttempt"/> comes (<see cref="Retry"/>),
/// and recipients that failed for good, or for too long, go back to the sender through <see cref="Notifier"/>.
/// As <see cref="IQueueControl"/> it carries out the administrator's hold, release, delete and flush: an operation takes
/// the message as a worker would (so the two never touch it at once), and a message a worker holds is changed when
/// its attempt ends (a delete cancels the attempt first).
/// </summary>
public sealed class LocalDeliveryAgent : IAsyncDisposable, IQueueControl
{
    // How many of a folder's newest messages are searched for a copy delivered just before a crash.
    private const int RecoveryWindow = 64;

    private readonly MailQueue _queue;
    private readonly ILocalRecipients _recipients;
    private readonly IMailStore _store;
    private readonly MailLog? _log;
    private readonly SemaphoreSlim _wake = new(0);
    // The queue IDs a worker holds, so that no message is taken twice.
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _workers = new();
    // When each deferred message is due (read from its envelope once, then kept here).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    // Guards the hand-over of a message between workers and administrator operations.
    private readonly Lock _gate = new();
    // Each worker's own cancellation, by queue ID: a delete cancels the attempt.
    private readonly Dictionary<string, CancellationTokenSource> _attempts = new(StringComparer.Ordinal);
    // Operations waiting for the worker (or operation) holding a message, in order; each gets the message in turn.
    private readonly Dictionary<string, List<TaskCompletionSource>> _waiting = new(StringComparer.Ordinal);
    private QueueEditor? _editor;
    private SemaphoreSlim? _slots;
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private long _delivered;
    private long _deferred;
    private long _bounced;

    /// <summary>Creates the agent; <see cref="Start"/> runs it.</summary>
    public LocalDeliveryAgent(MailQueue queue, ILocalRecipients recipients, IMailStore store, MailLog? log = null)
    {
        _queue = queue;
        _recipients = recipients;
        _store = store;
        _log = log;
    }

    /// <summary>Copies delivered to mailboxes so far.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);
    /// <summary>Recipients left deferred in the queue so far.</summary>
    public long Deferred => Interlocked.Read(ref _deferred);
    /// <summary>Recipients that failed permanently so far.</summary>
    public long Bounced => Interlocked.Read(ref _bounced);

    /// <summary>Delivers to other servers; null leaves non-local recipients deferred ("remote delivery is not enabled").</summary>
    public RemoteDeliveryAgent? Remote { get; init; }

    /// <summary>Returns failed mail to its sender; null sends no notices (the failures are only logged).</summary>
    public NonDeliveryNotifier? Notifier { get; init; }

    /// <summary>Backoff and lifetime of deferred messages (Postfix's defaults unless configured).</summary>
    public MailQueueConfig Retry { get; init; } = new();

    /// <summary>How often the queue is scanned when nobody signals new mail.</summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many messages are delivered at once (Postfix's default_process_limit for its delivery agents). Delivery
    /// mostly waits for fsync, so more workers than cores pay: their fsyncs share the file system's journal commits.
    /// </summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>The default <see cref="Concurrency"/>: twice the cores, at least 8.</summary>
    public static int DefaultConcurrency => Math.Max(8, 2 * Environment.ProcessorCount);

    private QueueEditor Editor => LazyInitializer.EnsureInitialized(ref _editor, () => new QueueEditor(_queue, Notifier, _log));

    private SemaphoreSlim Slots => LazyInitializer.EnsureInitialized(ref _slots, () => new SemaphoreSlim(Math.Max(1, Concurrency)));

    /// <summary>Starts the delivery loop; it first finishes what a previous run left in the active queue.</summary>
    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("The delivery agent is running already.");
        _stop = new CancellationTokenSource();
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Wakes the loop: a message was just queued.</summary>
    public void Signal() => _wake.Release();

    /// <summary>Stops after the messages in hand; what is left stays in the queue for the next start.</summary>
    public async Task StopAsync()
    {
        if (_loop is null) return;
        _stop!.Cancel();
        try { await _loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await Task.WhenAll(_workers.Keys).ConfigureAwait(false);
        _loop = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop?.Dispose();
        _wake.Dispose();
        _slots?.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Active is looked at first (what a previous run left) and then whenever no signal came for a while (what a
        // failed attempt left); incoming at every signal.
        var scanActive = true;
        var firstPass = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await DispatchAsync(scanActive, cancellationToken, recoverIncoming: firstPass).ConfigureAwait(false);
                firstPass = false;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log?.Warning("qmgr", $"queue scan failed: {e.Message}");
            }
            try { scanActive = !await _wake.WaitAsync(NextWait(), cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    // Until the next scan: the scan interval, or less when a deferred message is due sooner.
    private TimeSpan NextWait()
    {
        var wait = ScanInterval;
        var now = DateTimeOffset.UtcNow;
        foreach (var due in _due.Values)
        {
            var until = due - now;
            if (until < wait) wait = until;
        }
        return wait < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : wait;
    }

    // The deferred messages whose next attempt has come (qmgr's scan of the deferred queue).
    private async Task<List<string>> DueDeferredAsync(CancellationToken cancellationToken)
    {
        var due = new List<string>();
        var now = DateTimeOffset.UtcNow;
        var listed = _queue.List(QueueState.Deferred);
        foreach (var gone in _due.Keys.Except(listed)) _due.TryRemove(gone, out _);
        foreach (var id in listed)
        {
            if (_inFlight.ContainsKey(id)) continue;
            if (!_due.TryGetValue(id, out var next))
            {
                try
                {
                    var envelope = await _queue.ReadEnvelopeAsync(QueueState.Deferred, id, cancellationToken).ConfigureAwait(false);
                    next = envelope.NextAttempt ?? now;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
                {
                    continue; // moved away meanwhile, or unreadable: the administrator's to look at
                }
                // A flush that came while the envelope was read wins over it.
                next = _due.GetOrAdd(id, next);
            }
            if (next <= now) due.Add(id);
        }
        return due;
    }

    /// <summary>One pass: every message in active (left by a crash), incoming, and deferred when due is delivered as far as it can be.</summary>
    public async Task DeliverQueuedAsync(CancellationToken cancellationToken)
    {
        var started = await DispatchAsync(scanActive: true, cancellationToken, recoverIncoming: true).ConfigureAwait(false);
        await Task.WhenAll(started).ConfigureAwait(false);
    }

    // Hands every message not yet held by a worker to one, waiting for a free worker as needed; returns the workers
    // started. Messages from incoming are moved to active in batches of as many as there are free workers.
    // recoverIncoming: the first pass of a run also looks for copies of the messages it finds in incoming (see Launch).
    private async Task<List<Task>> DispatchAsync(bool scanActive, CancellationToken cancellationToken, bool recoverIncoming = false)
    {
        var found = new List<(string Id, QueueState State)>();
        if (scanActive) found.AddRange(_queue.List(QueueState.Active).Select(id => (id, QueueState.Active)));
        found.AddRange(_queue.List(QueueState.Incoming).Select(id => (id, QueueState.Incoming)));
        found.AddRange((await DueDeferredAsync(cancellationToken).ConfigureAwait(false)).Select(id => (id, QueueState.Deferred)));
        var started = new List<Task>();
        var batch = new List<(string Id, QueueState State)>();
        try
        {
            foreach (var item in found)
            {
                if (!_inFlight.TryAdd(item.Id, 0)) continue;
                if (!Slots.Wait(0))
                {
                    Launch(batch, started, recoverIncoming, cancellationToken);
                    try
                    {
                        await Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch
                    {
                        _inFlight.TryRemove(item.Id, out _);
                        throw;
                    }
                }
                batch.Add(item);
            }
        }
        finally
        {
            Launch(batch, started, recoverIncoming, cancellationToken);
        }
        return started;
    }

    // Starts a worker for each message of the batch (each holds a slot and its in-flight mark).
    private void Launch(List<(string Id, QueueState State)> batch, List<Task> started, bool recoverIncoming, CancellationToken cancellationToken)
    {
        var ready = new List<(string Id, bool Recovering, bool Taken)>(batch.Count);
        var syncActive = false;
        foreach (var (id, state) in batch)
        {
            if (state == QueueState.Active)
            {
                ready.Add((id, true, false));
                continue;
            }
            try
            {
                // From incoming, or from deferred when due: the envelope there is final (fsynced before the move to deferred).
                _queue.Move(id, state, QueueState.Active, sync: false);
                if (state == QueueState.Deferred) _due.TryRemove(id, out _);
                ready.Add((id, state == QueueState.Incoming && recoverIncoming, true));
                if (state == QueueState.Deferred) syncActive = true;
            }
            catch (FileNotFoundException)
            {
                Finish(id); // held or removed by the administrator since it was listed
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log?.Warning("qmgr", $"{id}: cannot move to the active queue: {e.Message}");
                Finish(id);
            }
        }
        batch.Clear();
        // Why this fsync, for messages from deferred only: without it a power loss could put a message back into
        // deferred after a copy was delivered from active, and a retry from deferred does not look for copies. One
        // fsync of active/ covers the whole batch (and makes durable the removals of the messages finished since).
        // Why none for messages from incoming: a power loss may undo the move (and the removal after delivery), putting
        // a delivered message back into incoming; but no run delivers from incoming without looking first: the first
        // pass of every run treats what it finds in incoming as maybe delivered (recoverIncoming), as it does active.
        // Messages that arrive later were not in incoming when the power went, so they cannot have a copy yet.
        if (syncActive)
        {
            try
            {
                _queue.Sync(QueueState.Active);
            }
            catch (IOException e)
            {
                // Not durable: leave the batch in active, where the next scan delivers it with the recovering path.
                _log?.Warning("qmgr", $"cannot fsync the active queue: {e.Message}");
                foreach (var (id, _, _) in ready) Finish(id);
                return;
            }
        }
        foreach (var (id, recovering, taken) in ready)
        {
            var worker = Task.Run(() => WorkAsync(id, recovering, taken, cancellationToken), CancellationToken.None);
            _workers.TryAdd(worker, 0);
            _ = worker.ContinueWith(t => _workers.TryRemove(t, out _), TaskScheduler.Default);
            started.Add(worker);
        }
    }

    // A message found in active that no worker of this run moved there was in delivery when a crash or a failed attempt
    // stopped it: every recipient not yet recorded as Delivered may have its copy already (recovering).
    // taken: this run moved it into active (qmgr's "from=" line is logged).
    private async Task WorkAsync(string id, bool recovering, bool taken, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lock (_gate) _attempts[id] = attempt;
        try
        {
            await DeliverAsync(id, recovering, taken, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested)
        {
            // Stopping, or deleted by the administrator: the message stays in active, where the next start looks for
            // copies before delivering again (or the waiting delete removes it).
        }
        catch (FileNotFoundException) when (recovering)
        {
            // Listed in active just before the worker that held it finished and removed it.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            _log?.Warning("qmgr", $"{id}: delivery failed: {e.Message}");
        }
        finally
        {
            lock (_gate) _attempts.Remove(id);
            Finish(id);
        }
    }

    private void Finish(string id)
    {
        Release(id);
        Slots.Release();
    }

    // Lets go of a message: to the next operation waiting for it, or back to the queue.
    private void Release(string id)
    {
        TaskCompletionSource? next = null;
        lock (_gate)
        {
            if (_waiting.TryGetValue(id, out var waiting) && waiting.Count > 0)
            {
                next = waiting[0];
                waiting.RemoveAt(0);
                if (waiting.Count == 0) _waiting.Remove(id);
            }
            else _inFlight.TryRemove(id, out _);
        }
        next?.TrySetResult();
    }

    // Takes a message for an administrator's operation: at once when no worker has it, else when its worker is done
    // (after cancelling the attempt when asked). Until Release, no worker takes it.
    private async Task ReserveAsync(string id, bool cancelAttempt, CancellationToken cancellationToken)
    {
        while (true)
        {
            TaskCompletionSource? turn = null;
            CancellationTokenSource? attempt = null;
            lock (_gate)
            {
                if (_inFlight.TryAdd(id, 0)) return;
                if (_attempts.TryGetValue(id, out attempt) || _waiting.ContainsKey(id))
                {
                    turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (!_waiting.TryGetValue(id, out var waiting)) _waiting[id] = waiting = [];
                    waiting.Add(turn);
                }
            }
            if (turn is null)
            {
                // Between the dispatcher's claim and its worker's start: look again shortly.
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (cancelAttempt && attempt is not null)
            {
                try { await attempt.CancelAsync().ConfigureAwait(false); }
                catch (ObjectDisposedException) { } // the attempt ended meanwhile
            }
            try
            {
                await turn.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException)
            {
                bool stillWaiting;
                lock (_gate) stillWaiting = _waiting.TryGetValue(id, out var waiting) && waiting.Remove(turn);
                if (!stillWaiting) Release(id); // handed over just now: pass it on
                throw;
            }
        }
    }

    private async Task<T> ExclusiveAsync<T>(string id, bool cancelAttempt, Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        if (!QueueId.IsValid(id)) throw new MailQueueMessageNotFoundException(id, $"'{id}' is not a queue ID.");
        await ReserveAsync(id, cancelAttempt, cancellationToken).ConfigureAwait(false);
        try { return await operation().ConfigureAwait(false); }
        finally { Release(id); }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<MailQueueMessage> ListAsync(MailQueueFilter filter, CancellationToken cancellationToken) =>
        QueueListing.ListAsync(_queue, filter, cancellationToken);

    /// <inheritdoc />
    public Task<MailQueueMessage> HoldAsync(string queueId, CancellationToken cancellationToken) =>
        ExclusiveAsync(queueId, cancelAttempt: false, async () =>
        {
            var message = await Editor.HoldAsync(queueId, cancellationToken).ConfigureAwait(false);
            _due.TryRemove(queueId, out _);
            return message;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<MailQueueMessage> ReleaseAsync(string queueId, CancellationToken cancellationToken)
    {
        // Not held: said at once, without waiting for a worker that may hold it.
        Editor.StateOf(queueId);
        if (_queue.Find(queueId) is { } state && state != QueueState.Hold)
            throw new InvalidOperationException($"The message {queueId} is not on hold (it is in {QueueListing.NameOf(state)}).");
        return ExclusiveAsync(queueId, cancelAttempt: false, async () =>
        {
            var message = await Editor.ReleaseAsync(queueId, cancellationToken).ConfigureAwait(false);
            _due.TryRemove(queueId, out _);
            Signal();
            return message;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<MailQueueMessage> DeleteAsync(string queueId, bool notifySender, CancellationToken cancellationToken) =>
        ExclusiveAsync(queueId, cancelAttempt: true, async () =>
        {
            var (message, notice) = await Editor.DeleteAsync(queueId, notifySender, cancellationToken).ConfigureAwait(false);
            _due.TryRemove(queueId, out _);
            if (notice is not null) Signal();
            return message;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<MailQueueMessage> FlushAsync(string queueId, CancellationToken cancellationToken)
    {
        var message = await QueueListing.FindAsync(_queue, queueId, cancellationToken).ConfigureAwait(false)
            ?? throw new MailQueueMessageNotFoundException(queueId);
        var state = Enum.Parse<QueueState>(message.QueueName, ignoreCase: true);
        QueueEditor.RequireFlushable(queueId, state);
        // Described before it is made due: once due, the dispatcher moves it on at once.
        if (state == QueueState.Deferred)
        {
            _due[queueId] = DateTimeOffset.MinValue;
            Signal();
        }
        return message;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MailQueueMessage>> FlushAllAsync(CancellationToken cancellationToken)
    {
        // Described before they are made due: once due, the dispatcher moves them on at once.
        var flushed = new List<MailQueueMessage>();
        await foreach (var message in QueueListing.ListAsync(_queue, new MailQueueFilter { Queues = ["deferred"] }, cancellationToken).ConfigureAwait(false))
            flushed.Add(message);
        foreach (var id in _queue.List(QueueState.Deferred)) _due[id] = DateTimeOffset.MinValue;
        Signal();
        return flushed;
    }

    // Postfix's cleanup rewrites recipients through virtual_alias_maps before the message reaches the queue manager,
    // so that every later step works on final recipients, each delivered once.
    private void ExpandAliases(Envelope envelope)
    {
        var final = new List<EnvelopeRecipient>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var recipient in envelope.Recipients)
        {
            var domain = DomainOf(recipient.Address);
            var targets = recipient.Status == RecipientStatus.Pending && _recipients.IsLocalDomain(domain)
                ? _recipients.Resolve(recipient.Address)
                : null;
            if (targets is null || recipient.Status != RecipientStatus.Pending)
            {
                if (seen.Add(recipient.Address)) final.Add(recipient);
                continue;
            }
            foreach (var target in targets)
            {
                if (!seen.Add(target)) continue;
                final.Add(new EnvelopeRecipient
                {
                    Address = target,
                    Notify = recipient.Notify,
                    OriginalRecipient = recipient.OriginalRecipient ?? (string.Equals(target, recipient.Address, StringComparison.OrdinalIgnoreCase) ? null : recipient.Address),
                });
            }
        }
        envelope.Recipients = final;
    }

    // During normal running the envelope is not rewritten per recipient: statuses live in memory, and a crash is
    // covered by the recovering path, which finds the copies already made. The envelope is written only when the
    // message stays queued (deferred), so that a retry skips the recipients already served.
    private async Task DeliverAsync(string id, bool recovering, bool taken, CancellationToken cancellationToken)
    {
        var envelope = await _queue.ReadEnvelopeAsync(QueueState.Active, id, cancellationToken).ConfigureAwait(false);
        ExpandAliases(envelope);
        if (taken) _log?.QueueActive(id, envelope.Sender, envelope.Size, envelope.Recipients.Count);
        var failedBefore = envelope.Recipients.Where(r => r.Status == RecipientStatus.Bounced).ToHashSet();
        var remote = new List<EnvelopeRecipient>();
        foreach (var recipient in envelope.Recipients)
        {
            if (recipient.Status is RecipientStatus.Delivered or RecipientStatus.Bounced) continue;
            cancellationToken.ThrowIfCancellationRequested();
            if (Remote is not null && !_recipients.IsLocalDomain(DomainOf(recipient.Address)))
            {
                remote.Add(recipient);
                continue;
            }
            await DeliverRecipientAsync(envelope, recipient, recovering, cancellationToken).ConfigureAwait(false);
        }
        if (remote.Count > 0)
        {
            // After the local copies: a crash during the SMTP dialogue redelivers remotely (RFC 5321 6.1 accepts a
            // duplicate), never locally (the recovering path finds those copies).
            await Remote!.DeliverAsync(envelope, () => _queue.OpenContent(QueueState.Active, id), remote, cancellationToken).ConfigureAwait(false);
            foreach (var recipient in remote)
            {
                if (recipient.Status == RecipientStatus.Deferred) Interlocked.Increment(ref _deferred);
                else if (recipient.Status == RecipientStatus.Bounced) Interlocked.Increment(ref _bounced);
            }
        }
        envelope.Attempts++;
        var now = DateTimeOffset.UtcNow;
        var deferred = envelope.Recipients.Where(r => r.Status == RecipientStatus.Deferred).ToList();
        if (deferred.Count > 0 && Retry.IsExpired(envelope.Sender, envelope.ArrivalTime, now))
        {
            // maximal_queue_lifetime: the last temporary failure becomes final; the notice carries its reason.
            _log?.Expired(id, envelope.Sender);
            foreach (var recipient in deferred) recipient.Status = RecipientStatus.Bounced;
            Interlocked.Add(ref _bounced, deferred.Count);
        }
        var failedNow = envelope.Recipients.Where(r => r.Status == RecipientStatus.Bounced && !failedBefore.Contains(r)).ToList();
        if (failedNow.Count > 0 && Notifier is not null)
        {
            // Queued (fsynced) before this message's own envelope changes: a crash in between can send a notice twice, never lose it.
            if (await Notifier.NotifyAsync(envelope, failedNow, () => _queue.OpenContent(QueueState.Active, id), cancellationToken).ConfigureAwait(false) is not null)
                Signal();
        }
        var open = envelope.Recipients.Where(r => r.Status is RecipientStatus.Pending or RecipientStatus.Deferred or RecipientStatus.Delivering).ToArray();
        if (open.Length == 0)
        {
            // No fsync: should a power loss bring the files back, the message is recovered from active and every copy
            // is found in its mailbox; the next batch's fsync of active/ makes the removal durable.
            _queue.Delete(QueueState.Active, id, sync: false);
            _log?.Removed(id);
        }
        else
        {
            if (open.All(r => r.Status == RecipientStatus.Deferred)) envelope.NextAttempt = Retry.NextAttempt(envelope.ArrivalTime, now);
            // Why the fsync (inside WriteEnvelopeAsync): a retry from deferred does not look for copies, so the
            // recipients already delivered must be recorded before the message leaves active.
            await _queue.WriteEnvelopeAsync(QueueState.Active, envelope, cancellationToken).ConfigureAwait(false);
            if (open.All(r => r.Status == RecipientStatus.Deferred))
            {
                _queue.Move(id, QueueState.Active, QueueState.Deferred);
                _due[id] = envelope.NextAttempt!.Value;
            }
        }
    }

    private async Task DeliverRecipientAsync(Envelope envelope, EnvelopeRecipient recipient, bool recovering, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        if (!_recipients.IsLocalDomain(DomainOf(recipient.Address)))
        {
            // Remote delivery (MX lookup, SMTP client) is the queue's next stage; until it runs, the recipient waits.
            SetStatus(recipient, RecipientStatus.Deferred, "4.4.1 remote delivery is not enabled on this server");
            LogDelivery(envelope, recipient, "none", started, "4.4.1", MailDeliveryStatus.Deferred, "remote delivery is not enabled on this server");
            Interlocked.Increment(ref _deferred);
            return;
        }
        var folder = _store.Open(MailboxOf(recipient.Address)).Inbox;
        if ((recovering || recipient.Status == RecipientStatus.Delivering)
            && await FindDeliveredCopyAsync(folder, envelope.QueueId, recipient.Address, cancellationToken).ConfigureAwait(false))
        {
            SetStatus(recipient, RecipientStatus.Delivered, "2.0.0 delivered to maildir (found after restart)");
            // The crash came before the log line: write it now, so the log still has one status=sent per copy.
            LogDelivery(envelope, recipient, "local", started, "2.0.0", MailDeliveryStatus.Sent, "delivered to maildir, found after restart");
            return;
        }
        try
        {
            await using var content = DeliveredToStream(recipient.Address, _queue.OpenContent(QueueState.Active, envelope.QueueId));
            await folder.DeliverNewAsync(content, cancellationToken).ConfigureAwait(false);
        }
        catch (MailStoreException e)
        {
            var status = e.IsTransient ? RecipientStatus.Deferred : RecipientStatus.Bounced;
            // RFC 3463 3.3: X.2.2 mailbox full; permanent for this message, as Dovecot's LDA with quota_full_tempfail = no.
            var dsn = e is MailQuotaExceededException ? "5.2.2" : e.IsTransient ? "4.2.0" : "5.2.0";
            SetStatus(recipient, status, $"{dsn} {e.Message}");
            LogDelivery(envelope, recipient, "local", started, dsn, e.IsTransient ? MailDeliveryStatus.Deferred : MailDeliveryStatus.Bounced, e.Message);
            Interlocked.Increment(ref e.IsTransient ? ref _deferred : ref _bounced);
            return;
        }
        SetStatus(recipient, RecipientStatus.Delivered, "2.0.0 delivered to maildir");
        LogDelivery(envelope, recipient, "local", started, "2.0.0", MailDeliveryStatus.Sent, "delivered to maildir");
        Interlocked.Increment(ref _delivered);
    }

    private static void SetStatus(EnvelopeRecipient recipient, RecipientStatus status, string response)
    {
        recipient.Status = status;
        recipient.LastResponse = response;
    }

    // A copy that reached the mailbox before a crash carries our Delivered-To and the queue ID in its first Received header.
    private static async Task<bool> FindDeliveredCopyAsync(IMailFolder folder, string queueId, string recipient, CancellationToken cancellationToken)
    {
        var snapshot = await folder.ListMessagesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var message in snapshot.Messages.TakeLast(RecoveryWindow))
        {
            await using var stream = folder.OpenMessage(message);
            if (stream is null) continue;
            var head = new byte[8192];
            var read = await stream.ReadAtLeastAsync(head, head.Length, false, cancellationToken).ConfigureAwait(false);
            var text = Encoding.Latin1.GetString(head, 0, read);
            var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd >= 0) text = text[..headerEnd];
            if (text.StartsWith($"Delivered-To: {recipient}\r\n", StringComparison.OrdinalIgnoreCase)
                && text.Contains($" id {queueId}", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    // Postfix's local and virtual agents prepend Delivered-To (loop detection); it also marks our own copies.
    private static Stream DeliveredToStream(string recipient, Stream content)
    {
        var header = new MemoryStream(Encoding.ASCII.GetBytes($"Delivered-To: {recipient}\r\n"));
        return new ConcatenatedStream(header, content);
    }

    private void LogDelivery(Envelope envelope, EnvelopeRecipient recipient, string relay, DateTimeOffset started, string dsn, MailDeliveryStatus status, string reason)
    {
        if (_log is null) return;
        var now = DateTimeOffset.UtcNow;
        var delays = new MailDeliveryDelays(started - envelope.ArrivalTime, TimeSpan.Zero, TimeSpan.Zero, now - started);
        _log.Delivery("virtual", envelope.QueueId, recipient.Address, recipient.OriginalRecipient, relay, delays, dsn, status, reason);
    }

    private static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..];
    }

    // user+ext@domain is delivered to the mailbox user@domain (recipient_delimiter '+').
    private static string MailboxOf(string address) => LocalMailbox.Of(address);
}
