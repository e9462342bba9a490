using System.Collections.Concurrent;

namespace MailOps.Engine.Platform;

/// <summary>
/// Group commit of one directory's fsync: concurrent callers that each created or renamed a file in the directory share
/// fsyncs. A caller's change is durable once an fsync of the directory that <em>started</em> after the change has
/// returned: fsync makes durable every change made through the directory before the call (POSIX fsync, "all data for
/// the open file descriptor"; for a directory, its entries). A caller therefore never relies on the fsync in progress
/// (it may have started before the caller's change); it waits for the next one, which starts when the running one ends
/// and covers every caller that arrived meanwhile. Under N concurrent sessions the directory is fsynced about once per
/// N changes, on a thread of its own, so that no caller's thread waits blocked.
/// </summary>
internal sealed class DirectorySyncGroup(string path)
{
    private static readonly ConcurrentDictionary<string, DirectorySyncGroup> Shared = new(StringComparer.Ordinal);

    /// <summary>The process-wide group of the directory at <paramref name="directory"/> (a full path).</summary>
    public static DirectorySyncGroup For(string directory) => Shared.GetOrAdd(directory, d => new DirectorySyncGroup(d));

    private readonly object _gate = new();
    private bool _syncing;
    // The callers that arrived while an fsync ran: the next fsync (started after them) completes it.
    private TaskCompletionSource? _next;

    /// <summary>Completes once every entry change made in the directory before this call is durable; faults as fsync would.</summary>
    public Task SyncAsync()
    {
        TaskCompletionSource first;
        lock (_gate)
        {
            if (_syncing)
            {
                _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _next.Task;
            }
            _syncing = true;
            first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        _ = Task.Run(() => Run(first));
        return first.Task;
    }

    /// <summary>Returns once every entry change made in the directory before this call is durable; throws as fsync would.</summary>
    public void Sync() => SyncAsync().GetAwaiter().GetResult();

    private void Run(TaskCompletionSource current)
    {
        while (true)
        {
            try
            {
                Posix.FsyncDirectory(path);
                current.SetResult();
            }
            catch (Exception e)
            {
                current.SetException(e);
            }
            lock (_gate)
            {
                if (_next is null)
                {
                    _syncing = false;
                    return;
                }
                current = _next;
                _next = null;
            }
        }
    }
}
