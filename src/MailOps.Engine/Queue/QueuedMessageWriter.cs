
namespace MailOps.Engine.Queue;

/// <summary>
/// A message being received into the queue: content is written to its queue file, incoming/&lt;id&gt;.eml, while it
/// arrives; <see cref="CommitAsync"/> appends the envelope and trailer, which make it complete (a queue file without its
/// trailer is never listed nor delivered, and is removed at start-up), and makes it durable; disposing without commit
/// throws it away. The directory entry is made durable when the file is created, by an fsync of incoming/ that runs
/// while the data arrives (shared with the other sessions), so the 250 waits only for the file's own fsync. Postfix's
/// cleanup likewise writes the queue file in place and marks it complete at the end (its mode's execute bit).
/// </summary>
public sealed class QueuedMessageWriter : IAsyncDisposable
{
    private readonly MailQueue _queue;
    private string _temporaryContent;
    private FileStream _content;
    private bool _done;
    // True while _temporaryContent is the queue file's own name in incoming/ (false after a prepend wrote a new file).
    private bool _inPlace = true;
    // The fsync of incoming/ that makes the new file's directory entry durable; started at creation.
    private readonly Task _entrySynced;

    internal QueuedMessageWriter(MailQueue queue, string queueId)
    {
        _queue = queue;
        QueueId = queueId;
        _temporaryContent = Path.Combine(queue.DirectoryOf(QueueState.Incoming), queueId + ".eml");
        _content = Create(_temporaryContent);
        _entrySynced = queue.SyncSharedAsync(QueueState.Incoming);
    }

    // Read sharing lets the authentication stage read the content back before commit (OpenWrittenContent).
    private static FileStream Create(string path) =>
        new(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 65536, useAsync: false);

    /// <summary>The queue ID the message will have.</summary>
    public string QueueId { get; }

    /// <summary>The stream the message content (headers and body, CRLF line ends) is written to.</summary>
    public Stream Content => _content;

    /// <summary>Flushes what was written so far and opens it for reading (to verify or sign it before commit).</summary>
    public Stream OpenWrittenContent()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _content.Flush();
        return new FileStream(_temporaryContent, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 65536, useAsync: false);
    }

    /// <summary>
    /// Puts <paramref name="headers"/> (complete CRLF-ended header lines) before the content written so far, as a header
    /// is prepended (RFC 8601 5, RFC 6376 5.6), leaving out the byte ranges in <paramref name="remove"/> (header fields
    /// deleted, such as forged Authentication-Results): the content is copied behind them into a new temporary file.
    /// </summary>
    public async Task PrependAsync(ReadOnlyMemory<byte> headers, CancellationToken cancellationToken, IReadOnlyList<(long Start, long Length)>? remove = null)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        remove ??= [];
        if (headers.IsEmpty && remove.Count == 0) return;
        await _content.FlushAsync(cancellationToken).ConfigureAwait(false);
        var replacement = Path.Combine(Path.GetDirectoryName(_temporaryContent)!, QueueId + ".eml.prepend.tmp");
        var next = Create(replacement);
        try
        {
            await next.WriteAsync(headers, cancellationToken).ConfigureAwait(false);
            await using (var old = new FileStream(_temporaryContent, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 65536, useAsync: false))
            {
                foreach (var (start, length) in remove.OrderBy(r => r.Start))
                {
                    await CopyBytesAsync(old, next, start - old.Position, cancellationToken).ConfigureAwait(false);
                    old.Position = start + length;
                }
                await old.CopyToAsync(next, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await next.DisposeAsync().ConfigureAwait(false);
            File.Delete(replacement);
            throw;
        }
        await _content.DisposeAsync().ConfigureAwait(false);
        File.Delete(_temporaryContent);
        _content = next;
        _temporaryContent = replacement;
        _inPlace = false;
    }

    private static async Task CopyBytesAsync(Stream from, Stream to, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (count > 0)
        {
            int read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new EndOfStreamException();
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            count -= read;
        }
    }

    /// <summary>
    /// Appends the envelope to the content and fsyncs the file (which completes it), and waits for the directory entry
    /// to be durable: the fsync of incoming/ started at creation, or, when the file was renamed (into hold/, or after a
    /// prepend), one of the target directory shared with the sessions committing at the same time.
    /// Only after this returns may the server say 250: the message then survives a crash or power loss.
    /// </summary>
    /// <param name="envelope">The envelope to store with the content.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <param name="state">Where the message goes: incoming/ (to be delivered), or hold/ (kept until released).</param>
    public async Task CommitAsync(Envelope envelope, CancellationToken cancellationToken, QueueState state = QueueState.Incoming)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        cancellationToken.ThrowIfCancellationRequested();
        envelope.QueueId = QueueId;
        // Synchronous: the flush only reaches the page cache, and on Unix an async file call is a thread-pool hop.
        _content.Flush();
        envelope.Size = _content.Length;
        string target = Path.Combine(_queue.DirectoryOf(state), QueueId + ".eml");
        if (_inPlace && state != QueueState.Incoming)
        {
            // Moved before it is complete, so that the queue manager never finds it complete in incoming/.
            File.Move(_temporaryContent, target);
            _temporaryContent = target;
        }
        // Why this fsync (inside AppendEnvelope): after a crash, a message that got its 250 has all its content
        // and its envelope.
        MailQueue.AppendEnvelope(_content, envelope);
        _content.Dispose();
        _done = true;
        if (_temporaryContent != target) File.Move(_temporaryContent, target);
        // Why: after a crash, the message that got its 250 is still in incoming/ or hold/ (its entry, or the rename, survives).
        await _entrySynced.ConfigureAwait(false);
        if (state != QueueState.Incoming || !_inPlace) await _queue.SyncSharedAsync(state).ConfigureAwait(false);
        if (state != QueueState.Incoming && _inPlace) await _queue.SyncSharedAsync(QueueState.Incoming).ConfigureAwait(false);
    }

    /// <summary>Throws the message away unless it was committed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        await _content.DisposeAsync().ConfigureAwait(false);
        try
        {
            File.Delete(_temporaryContent);
        }
        catch (IOException)
        {
            // A leftover incomplete file is harmless: it is never listed, and MailQueue.RemoveLeftovers removes it.
        }
        // Observed, so that a failed fsync of a message thrown away is not an unobserved task exception.
        try
        {
            await _entrySynced.ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
    }
}
