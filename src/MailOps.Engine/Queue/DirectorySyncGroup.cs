using MailOps.Engine.Platform;

namespace MailOps.Engine.Queue;

/// <summary>
/// Group commit of one directory's fsync: concurrent callers that each renamed a file into the directory share fsyncs.
/// A caller's rename is durable once an fsync of the directory that <em>started</em> after the rename has returned:
/// fsync makes durable every change made through the directory before the call (POSIX fsync, "all data for the open
/// file descriptor"; for a directory, its entries). A caller therefore never relies on the fsync in progress (it may
/// have started before the caller's rename); it waits for it to end and then starts the next one, which covers every
/// caller that arrived meanwhile. Under N concurrent sessions the directory is fsynced about once per N commits.
/// </summary>
internal sealed class DirectorySyncGroup(string path)
{
    private readonly object _gate = new();
    // Tickets, taken after the caller's rename; _synced is the highest ticket that a finished fsync covers.
    private long _issued;
    private long _synced;
    private bool _syncing;

    /// <summary>Returns once every entry change made in the directory before this call is durable; throws as fsync would.</summary>
    public void Sync()
    {
        long covers;
        lock (_gate)
        {
            long ticket = ++_issued;
            while (_syncing)
            {
                Monitor.Wait(_gate);
                if (_synced >= ticket) return;
            }
            // Every ticket issued so far belongs to a rename done before this fsync starts: it covers them all.
            _syncing = true;
            covers = _issued;
        }
        try
        {
            Posix.FsyncDirectory(path);
            lock (_gate) _synced = Math.Max(_synced, covers);
        }
        finally
        {
            // On failure the callers it would have covered find _synced short of their ticket and fsync themselves.
            lock (_gate)
            {
                _syncing = false;
                Monitor.PulseAll(_gate);
            }
        }
    }
}
