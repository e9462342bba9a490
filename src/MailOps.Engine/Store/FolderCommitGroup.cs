using System.Collections.Concurrent;

namespace MailOps.Engine.Store;

/// <summary>
/// The copies of this process waiting to enter one folder (written and fsynced in tmp/). Whoever finds nobody serving
/// the folder starts serving it: one dovecot-uidlist lock, every copy waiting by then moved into new/ (cur/), one fsync
/// per directory and one uidlist append with one fsync for all of them, then the next group (group commit). Under a
/// burst to one mailbox the lock and its two fsyncs are paid once per group, not once per copy.
/// </summary>
internal sealed class FolderCommitGroup
{
    private static readonly ConcurrentDictionary<string, FolderCommitGroup> Folders = new(StringComparer.Ordinal);
    private readonly string _folderPath;
    private readonly Lock _gate = new();
    private List<PendingCopy> _waiting = [];
    private bool _serving;

    private FolderCommitGroup(string folderPath) => _folderPath = folderPath;

    /// <summary>
    /// Hands a copy to its folder's group; the task ends with its UID once the copy is in new/ (cur/) and the uidlist,
    /// durably, or fails when it could not be stored (nothing of it is then left visible).
    /// </summary>
    public static async Task<uint> EnterAsync(PendingCopy copy)
    {
        // A copy cancelled before the lock is taken withdraws (its tmp/ file deleted); once moved, it waits for its UID.
        using var withdrawal = copy.Cancellation.Register(copy.Withdraw);
        var group = Folders.GetOrAdd(copy.Folder.Path, path => new FolderCommitGroup(path));
        bool serve;
        lock (group._gate)
        {
            group._waiting.Add(copy);
            serve = !group._serving;
            group._serving = true;
        }
        if (serve) _ = Task.Run(group.ServeAsync);
        return await copy.Uid.Task.ConfigureAwait(false);
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            List<PendingCopy> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _serving = false;
                    // A copy that finds this group after its removal starts a new one; the dotlock keeps the two apart.
                    Folders.TryRemove(new KeyValuePair<string, FolderCommitGroup>(_folderPath, this));
                    return;
                }
                batch = _waiting.Where(c => !c.Uid.Task.IsCompleted).ToList();
                _waiting = [];
            }
            // The lock is waited for as long as one copy of the group still wants it.
            if (batch.FirstOrDefault(c => !c.Cancellation.IsCancellationRequested) is not { } waiting) continue;
            try
            {
                await waiting.Folder.CommitAsync(batch, waiting.Cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate) _waiting.InsertRange(0, batch.Where(c => !c.Uid.Task.IsCompleted));
            }
            catch (Exception e)
            {
                foreach (var copy in batch)
                {
                    if (copy.TryClaim()) copy.Uid.TrySetException(e);
                }
            }
        }
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
