using System.Collections.Concurrent;

namespace MailOps.Engine.Store;

/// <summary>
/// The work of this process waiting for one folder's dovecot-uidlist lock: copies written and fsynced in tmp/ waiting to
/// enter the folder, and changes of flags and expunges (their mailops-modseq lines). Whoever finds nobody serving the
/// folder starts serving it: one lock for everything waiting by then (every copy moved into new/ (cur/), one fsync per
/// directory and one uidlist append with one fsync for all of them, then each change in turn), one fsync of
/// mailops-modseq after the lock for all of it, then the next group (group commit). Under a burst on one mailbox the
/// lock and its fsyncs are paid once per group, not once per command.
/// </summary>
internal sealed class FolderCommitGroup
{
    private static readonly ConcurrentDictionary<string, FolderCommitGroup> Folders = new(StringComparer.Ordinal);
    private readonly string _folderPath;
    private readonly Lock _gate = new();
    private List<PendingCopy> _waiting = [];
    private List<LockedWork> _work = [];
    private bool _serving;
    private bool _retired;

    private FolderCommitGroup(string folderPath) => _folderPath = folderPath;

    /// <summary>
    /// Hands a copy to its folder's group; the task ends with its UID once the copy is in new/ (cur/) and the uidlist,
    /// durably, or fails when it could not be stored (nothing of it is then left visible).
    /// </summary>
    public static async Task<uint> EnterAsync(PendingCopy copy)
    {
        // A copy cancelled before the lock is taken withdraws (its tmp/ file deleted); once moved, it waits for its UID.
        using var withdrawal = copy.Cancellation.Register(copy.Withdraw);
        if (Enqueue(copy.Folder, group => group._waiting.Add(copy)) is { } group) await group.ServeFirstAsync(copy.Folder).ConfigureAwait(false);
        return await copy.Uid.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> under the folder's uidlist lock, in the next group; its mod-sequence lines are fsynced
    /// before this ends. Throws what the work threw, or OperationCanceledException when <paramref name="cancellationToken"/>
    /// stops the wait before the work began.
    /// </summary>
    public static async Task<T> RunLockedAsync<T>(MaildirFolder folder, Func<T> work, CancellationToken cancellationToken)
    {
        var item = new LockedWork(() => work(), cancellationToken);
        using var withdrawal = cancellationToken.Register(item.Withdraw);
        if (Enqueue(folder, group => group._work.Add(item)) is { } group) await group.ServeFirstAsync(folder).ConfigureAwait(false);
        return (T)(await item.Done.Task.ConfigureAwait(false))!;
    }

    // Adds an item to the folder's group; returns the group when nobody was serving it, for the caller to serve.
    private static FolderCommitGroup? Enqueue(MaildirFolder folder, Action<FolderCommitGroup> add)
    {
        while (true)
        {
            var group = Folders.GetOrAdd(folder.Path, path => new FolderCommitGroup(path));
            bool serve;
            lock (group._gate)
            {
                // A group that just stopped serving and left the table takes nothing more: start a new one.
                if (group._retired) continue;
                add(group);
                serve = !group._serving;
                group._serving = true;
            }
            return serve ? group : null;
        }
    }

    // The caller that found the group idle serves the first group itself (its own item is in it: no thread hop when
    // nobody else is waiting); whatever arrived meanwhile is served by a pool thread, so that it need not wait for more.
    private async Task ServeFirstAsync(MaildirFolder folder)
    {
        if (await ServeOnceAsync(folder).ConfigureAwait(false) && !RetireIfIdle()) _ = Task.Run(() => ServeAsync(folder));
    }

    // Stops serving when nothing is waiting; a later item then starts a new group.
    private bool RetireIfIdle()
    {
        lock (_gate)
        {
            if (_waiting.Count > 0 || _work.Count > 0) return false;
            _serving = false;
            _retired = true;
            Folders.TryRemove(new KeyValuePair<string, FolderCommitGroup>(_folderPath, this));
            return true;
        }
    }

    private async Task ServeAsync(MaildirFolder folder)
    {
        while (await ServeOnceAsync(folder).ConfigureAwait(false))
        {
        }
    }

    // Serves what is waiting as one group; false when nothing was (the group is then retired).
    private async Task<bool> ServeOnceAsync(MaildirFolder folder)
    {
        List<PendingCopy> batch;
        List<LockedWork> work;
        if (RetireIfIdle()) return false;
        lock (_gate)
        {
            batch = _waiting.Where(c => !c.Uid.Task.IsCompleted).ToList();
            work = _work.Where(w => !w.Done.Task.IsCompleted).ToList();
            _waiting = [];
            _work = [];
        }
        // The lock is waited for as long as one item of the group still wants it.
        var token = batch.Where(c => !c.Cancellation.IsCancellationRequested).Select(c => (CancellationToken?)c.Cancellation).FirstOrDefault()
            ?? work.Where(w => !w.Cancellation.IsCancellationRequested).Select(w => (CancellationToken?)w.Cancellation).FirstOrDefault();
        if (token is not { } waiting) return true;
        try
        {
            await folder.CommitAsync(batch, work, waiting).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                _waiting.InsertRange(0, batch.Where(c => !c.Uid.Task.IsCompleted));
                _work.InsertRange(0, work.Where(w => !w.Done.Task.IsCompleted));
            }
        }
        catch (Exception e)
        {
            foreach (var copy in batch)
            {
                if (copy.TryClaim()) copy.Uid.TrySetException(e);
            }
            foreach (var item in work)
            {
                if (item.TryClaim()) item.Done.TrySetException(e);
            }
        }
        return true;
    }
}

/// <summary>Work to run under a folder's uidlist lock (a change of flags, the mod-sequence lines of an expunge).</summary>
/// <param name="Work">What to do; runs on the group's thread with the lock held.</param>
/// <param name="Cancellation">Withdraws the work while the lock is not yet taken for it.</param>
internal sealed record LockedWork(Func<object?> Work, CancellationToken Cancellation)
{
    private const int Waiting = 0, Claimed = 1, Withdrawn = 2;
    private int _state;

    /// <summary>Ends with the work's result once mailops-modseq is fsynced, or with what it threw.</summary>
    public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Under the uidlist lock: takes the work, unless it was withdrawn.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Waiting) == Waiting;

    /// <summary>Gives the work up before the lock is taken for it.</summary>
    public void Withdraw()
    {
        if (Interlocked.CompareExchange(ref _state, Withdrawn, Waiting) == Waiting) Done.TrySetCanceled(Cancellation);
    }
}

/// <summary>A copy written and fsynced in tmp/, waiting for its UID.</summary>
/// <param name="Folder">The folder it goes into.</param>
/// <param name="TempPath">Its file in tmp/.</param>
/// <param name="FinalPath">Its name in new/ (or cur/ with flags).</param>
/// <param name="BaseName">Its base name, as the uidlist records it.</param>
/// <param name="Cancellation">Withdraws the copy while the uidlist lock is not yet taken for it.</param>
internal sealed record PendingCopy(MaildirFolder Folder, string TempPath, string FinalPath, string BaseName, CancellationToken Cancellation)
{
    private const int Waiting = 0, Claimed = 1, Withdrawn = 2;
    private int _state;

    /// <summary>Ends with the UID given to the copy.</summary>
    public TaskCompletionSource<uint> Uid { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The mod-sequence the copy got with its UID; 0 when it got none yet (the next listing gives it one).</summary>
    public ulong ModSeq { get; set; }

    /// <summary>Under the uidlist lock: takes the copy into the folder, unless it was withdrawn.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Waiting) == Waiting;

    /// <summary>Gives the copy up before the lock is taken for it: its tmp/ file is deleted, its task cancelled.</summary>
    public void Withdraw()
    {
        if (Interlocked.CompareExchange(ref _state, Withdrawn, Waiting) != Waiting) return;
        try
        {
            File.Delete(TempPath);
        }
        catch (IOException)
        {
            // A leftover in tmp/ is never listed; Dovecot removes old tmp/ files.
        }
        Uid.TrySetCanceled(Cancellation);
    }
}
