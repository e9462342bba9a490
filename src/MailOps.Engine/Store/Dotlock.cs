using System.Globalization;
using System.Text;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Store;

/// <summary>
/// Dovecot's dotlock (lib/file-dotlock.c, with dotlock_use_excl = yes): the lock on <c>FILE</c> is the file
/// <c>FILE.lock</c> created with O_EXCL. A pid-holding lock contains <c>pid:host</c>; a lock naming a process of this
/// host that no longer exists is overridden at once, one without a live pid when neither it nor FILE changed for the
/// stale timeout. Dovecot and this class follow the same rules on the same files, so neither corrupts the other.
/// </summary>
internal sealed class Dotlock : IDisposable
{
    // Dovecot does not read the pid of a lock younger than this: its creator may not have written it yet.
    private const int StalePidCheckSeconds = 2;
    // .NET on Unix puts the errno into IOException.HResult.
    private const int EExist = 17;
    // Threads of this process queue here before touching the lock file. A fixed set of stripes keeps memory bounded
    // however many folders there are; two folders sharing a stripe only wait for each other in memory, never deadlock
    // (no code holds two dotlocks at once).
    private static readonly SemaphoreSlim[] InProcess = Enumerable.Range(0, 256).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    private readonly SemaphoreSlim _gate;
    private readonly FileStream _stream;
    private readonly FileStatus _identity;
    private bool _lockFileGone;
    private bool _disposed;

    /// <summary>The file this lock protects.</summary>
    public string FilePath { get; }

    /// <summary>The lock file, FILE.lock.</summary>
    public string LockPath => FilePath + ".lock";

    private Dotlock(string filePath, SemaphoreSlim gate, FileStream stream, FileStatus identity)
    {
        FilePath = filePath;
        _gate = gate;
        _stream = stream;
        _identity = identity;
    }

    /// <summary>
    /// Takes the lock on <paramref name="filePath"/>, waiting while another holder keeps it and overriding it when it
    /// is stale. Threads of this process queue in memory first, so a lock file naming this process is always stale.
    /// </summary>
    /// <param name="filePath">The protected file (it need not exist).</param>
    /// <param name="timeouts">Dovecot's stale and wait timeouts for this kind of file.</param>
    /// <param name="writePid">Write <c>pid:host</c> into the lock (false when the lock file becomes the new FILE).</param>
    /// <param name="hostName">This host's name as gethostname(2) gives it, which Dovecot compares.</param>
    /// <param name="owner">The account to give the lock file to, or null.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    public static async Task<Dotlock> AcquireAsync(string filePath, DotlockTimeouts timeouts, bool writePid, string hostName,
        MaildirOwner? owner, CancellationToken cancellationToken)
    {
        filePath = Path.GetFullPath(filePath);
        var gate = InProcess[(StringComparer.Ordinal.GetHashCode(filePath) & int.MaxValue) % InProcess.Length];
        var deadline = DateTime.UtcNow + timeouts.Wait;
        if (!await gate.WaitAsync(timeouts.Wait, cancellationToken).ConfigureAwait(false))
            throw Timeout(filePath);
        try
        {
            var lockPath = filePath + ".lock";
            var watch = new StaleWatch(filePath, lockPath, timeouts.Stale, hostName);
            while (true)
            {
                var stream = TryCreate(lockPath);
                if (stream is not null)
                {
                    try
                    {
                        if (writePid)
                        {
                            stream.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}:{hostName}")));
                            stream.Flush();
                        }
                        if (owner is { } o) Posix.Chown(lockPath, o.Uid, o.Gid);
                        var identity = Posix.Stat(lockPath) ?? throw new IOException($"{lockPath} vanished after it was created");
                        return new Dotlock(filePath, gate, stream, identity);
                    }
                    catch
                    {
                        stream.Dispose();
                        File.Delete(lockPath);
                        throw;
                    }
                }
                if (watch.IsStale())
                {
                    File.Delete(lockPath);
                    // As Dovecot: pause after overriding, so that another overrider does not delete our new lock.
                    await Task.Delay(Random.Shared.Next(100, 200), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (DateTime.UtcNow >= deadline) throw Timeout(filePath);
                await Task.Delay(Random.Shared.Next(100, 200), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="content"/> the new FILE the way file_dotlock_replace does: written into the lock file,
    /// fsynced, and renamed over FILE, which releases the lock.
    /// </summary>
    public void Replace(ReadOnlySpan<byte> content)
    {
        _stream.SetLength(0);
        _stream.Write(content);
        _stream.Flush(flushToDisk: true);
        if (!IsStillOurs()) throw new MailStoreException($"Our lock {LockPath} was overridden; {FilePath} is not written.", isTransient: true);
        File.Move(LockPath, FilePath, overwrite: true);
        _lockFileGone = true;
        Dispose();
    }

    /// <summary>Deletes the lock file, unless someone has overridden it meanwhile (then the new one is not ours).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_lockFileGone && IsStillOurs()) File.Delete(LockPath);
        }
        finally
        {
            _stream.Dispose();
            _gate.Release();
        }
    }

    private bool IsStillOurs() => Posix.Stat(LockPath) is { } now && now.Inode == _identity.Inode && now.Device == _identity.Device;

    private static FileStream? TryCreate(string lockPath)
    {
        try
        {
            return new FileStream(lockPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite | FileShare.Delete,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException e) when (e.HResult == EExist)
        {
            return null;
        }
    }

    private static MailStoreException Timeout(string filePath) =>
        new($"Timed out waiting for the lock on {filePath}.", isTransient: true);

    /// <summary>Dovecot's check_lock: remembers what it saw of the lock and the protected file between tries.</summary>
    private sealed class StaleWatch(string filePath, string lockPath, TimeSpan stale, string hostName)
    {
        private FileStatus? _lockSeen;
        private FileStatus? _fileSeen;
        private long _lastChange;
        private bool _pidRead;
        private int _pid = -1;

        public bool IsStale()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (Posix.Stat(lockPath) is not { } lockNow) return false; // gone: just try again
            if (Changed(ref _lockSeen, lockNow, now) || !_pidRead)
            {
                _pidRead = lockNow.ModifyTime < now - StalePidCheckSeconds;
                _pid = _pidRead ? ReadLocalPid() : -1;
            }
            else if (_pid > 0)
            {
                // Same file, but the pid in it may have been rewritten by a quickly recreated lock.
                _pid = ReadLocalPid();
            }

            if (_pid > 0)
            {
                // A live holder on this host is never overridden, however old its lock.
                if (_pid != Environment.ProcessId && Posix.ProcessExists(_pid)) return false;
                return Posix.Stat(lockPath) is { } again && again == lockNow;
            }

            var staleSeconds = (long)stale.TotalSeconds;
            if (now > _lastChange + staleSeconds && Posix.Stat(filePath) is { } fileNow)
                Changed(ref _fileSeen, fileNow, now);
            return now > _lastChange + staleSeconds;
        }

        // update_change_info: the first look takes the file's own change time, later changes count from now.
        private bool Changed(ref FileStatus? seen, FileStatus current, long now)
        {
            if (seen is { } before && before == current) return false;
            var changeTime = seen is null
                ? (current.ModifyTime <= now && current.ModifyTime > current.ChangeTime ? current.ModifyTime : current.ChangeTime)
                : now;
            _lastChange = Math.Max(_lastChange, changeTime);
            seen = current;
            return true;
        }

        // read_local_pid: "pid:host", and only when host is ours.
        private int ReadLocalPid()
        {
            string text;
            try
            {
                using var stream = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var buffer = new byte[511];
                var read = stream.Read(buffer);
                text = Encoding.UTF8.GetString(buffer, 0, read).TrimEnd('\n');
            }
            catch (IOException)
            {
                return -1;
            }
            var colon = text.IndexOf(':');
            if (colon <= 0 || text[(colon + 1)..] != hostName) return -1;
            return int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : -1;
        }
    }
}

/// <summary>How long a dotlock may stay unchanged before it is stale, and how long to wait for it at most.</summary>
/// <param name="Stale">Dovecot's stale_timeout.</param>
/// <param name="Wait">Dovecot's timeout.</param>
internal readonly record struct DotlockTimeouts(TimeSpan Stale, TimeSpan Wait)
{
    /// <summary>dovecot-uidlist: MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT (2 minutes), waiting 2 seconds longer.</summary>
    public static DotlockTimeouts UidList { get; } = new(TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(122));

    /// <summary>subscriptions: SUBSCRIPTION_FILE_CHANGE_TIMEOUT (30 s) and SUBSCRIPTION_FILE_LOCK_TIMEOUT (120 s).</summary>
    public static DotlockTimeouts Subscriptions { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(120));

    /// <summary>maildirsize: quota-maildir.c's stale_timeout 30 s and timeout 0 (a held lock means someone else is writing it).</summary>
    public static DotlockTimeouts MaildirSize { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.Zero);
}
