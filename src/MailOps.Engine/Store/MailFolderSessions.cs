using System.Collections.Concurrent;

namespace MailOps.Engine.Store;

/// <summary>
/// What the sessions of this process know of each other per folder (by its directory): who holds it alone (POP3's
/// maildrop lock, RFC 1939 8) and who watches it for changes (IMAP's untagged updates). Changes made by other programs
/// (Dovecot, a shell) are not told here; a session finds them by listing the folder again.
/// </summary>
internal static class MailFolderSessions
{
    private static readonly ConcurrentDictionary<string, byte> Exclusive = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, ImmutableWatchers> Watchers = new(StringComparer.Ordinal);

    /// <summary>Takes <paramref name="folderPath"/> for one session; null while another session holds it.</summary>
    public static IDisposable? TryTakeExclusive(string folderPath) =>
        Exclusive.TryAdd(folderPath, 0) ? new Release(() => Exclusive.TryRemove(folderPath, out _)) : null;

    /// <summary>Calls <paramref name="handler"/> with every change told for <paramref name="folderPath"/> until disposed.</summary>
    public static IDisposable Watch(string folderPath, Action<MailFolderChange> handler)
    {
        Watchers.AddOrUpdate(folderPath, _ => new ImmutableWatchers([handler]), (_, w) => new ImmutableWatchers([.. w.Handlers, handler]));
        return new Release(() =>
        {
            while (Watchers.TryGetValue(folderPath, out var current))
            {
                var rest = current.Handlers.Where(h => h != handler).ToArray();
                if (rest.Length == 0 ? Watchers.TryRemove(new KeyValuePair<string, ImmutableWatchers>(folderPath, current))
                    : Watchers.TryUpdate(folderPath, new ImmutableWatchers(rest), current)) return;
            }
        });
    }

    /// <summary>Tells the watchers of <paramref name="folderPath"/> about <paramref name="change"/>; a failing watcher does not stop the others.</summary>
    public static void Notify(string folderPath, MailFolderChange change)
    {
        // An append without UIDs is a delivery the next reader numbers (IMailFolder.DeliverNewAsync): still news.
        if ((change.Uids.Count == 0 && change.Kind != MailFolderChangeKind.Appended) || !Watchers.TryGetValue(folderPath, out var watchers)) return;
        foreach (var handler in watchers.Handlers)
        {
            try
            {
                handler(change);
            }
            catch (Exception)
            {
                // One session's trouble must not stop the change that caused it.
            }
        }
    }

    private sealed record ImmutableWatchers(Action<MailFolderChange>[] Handlers);

    private sealed class Release(Action release) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) release();
        }
    }
}
