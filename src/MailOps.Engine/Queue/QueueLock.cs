namespace MailOps.Engine.Queue;

/// <summary>
/// The lock a running server holds on its queue for as long as it runs (Postfix's master.lock): an exclusive flock(2)
/// on <c>public/master.lock</c> under the queue root, released by the kernel when the process dies, even by kill -9.
/// A queue command that finds no server answering takes the same lock before it changes queue files itself, so a
/// server cannot start in the middle of that change and two servers never share one queue.
/// </summary>
public sealed class QueueLock : IDisposable
{
    // flock(2) refused: EWOULDBLOCK (11 on Linux), or Windows' sharing violation elsewhere.
    private const int WouldBlock = 11;
    private const int SharingViolation = unchecked((int)0x80070020);
    private readonly FileStream _file;

    private QueueLock(FileStream file) => _file = file;

    /// <summary>The directory of the lock and the control socket: <c>public/</c> under the queue root, mode 0700.</summary>
    public static string PublicDirectory(string queueRoot) => Path.Combine(queueRoot, "public");

    /// <summary>The lock file.</summary>
    public static string PathOf(string queueRoot) => Path.Combine(PublicDirectory(queueRoot), "master.lock");

    /// <summary>Takes the lock, or returns null at once when another process (or another holder in this one) has it.</summary>
    public static QueueLock? TryAcquire(string queueRoot)
    {
        Directory.CreateDirectory(PublicDirectory(queueRoot), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            // On Unix, FileShare.None is an exclusive, non-blocking flock(2) of the open file.
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            return new QueueLock(new FileStream(PathOf(queueRoot), options));
        }
        catch (IOException e) when (e.HResult is WouldBlock or SharingViolation)
        {
            return null;
        }
    }

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/> for a queue command or a stopping server to let go.</summary>
    /// <exception cref="IOException">Still held by another process after <paramref name="timeout"/>.</exception>
    public static async Task<QueueLock> AcquireAsync(string queueRoot, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (TryAcquire(queueRoot) is { } held) return held;
            if (DateTime.UtcNow >= deadline)
                throw new IOException($"The queue {queueRoot} is in use by another process (another mail server runs on it): {PathOf(queueRoot)} is locked.");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
