
namespace MailOps.Engine.Queue;

/// <summary>
/// A message being received into the queue: content is written to a temporary file in incoming/ while it arrives;
/// <see cref="CommitAsync"/> makes it durable and visible; disposing without commit throws it away.
/// </summary>
public sealed class QueuedMessageWriter : IAsyncDisposable
{
    private readonly MailQueue _queue;
    private string _temporaryContent;
    private FileStream _content;
    private bool _done;

    internal QueuedMessageWriter(MailQueue queue, string queueId)
    {
        _queue = queue;
        QueueId = queueId;
        _temporaryContent = Path.Combine(queue.DirectoryOf(QueueState.Incoming), queueId + ".eml.tmp");
        _content = Create(_temporaryContent);
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
    /// Appends the envelope to the content, fsyncs the file, renames it into place and fsyncs incoming/: two fsyncs (the
    /// second shared with the sessions committing at the same time).
    /// Only after this returns may the server say 250: the message then survives a crash or power loss.
    /// </summary>
    /// <param name="envelope">The envelope to store with the content.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <param name="state">Where the message goes: incoming/ (to be delivered), or hold/ (kept until released).</param>
    public Task CommitAsync(Envelope envelope, CancellationToken cancellationToken, QueueState state = QueueState.Incoming)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        cancellationToken.ThrowIfCancellationRequested();
        envelope.QueueId = QueueId;
        // Synchronous: the flush only reaches the page cache, and on Unix an async file call is a thread-pool hop.
        _content.Flush();
        envelope.Size = _content.Length;
        // Why this fsync (inside AppendEnvelope): after a crash, a message that got its 250 has all its content
        // and its envelope.
        MailQueue.AppendEnvelope(_content, envelope);
        _content.Dispose();

        string directory = _queue.DirectoryOf(state);
        File.Move(_temporaryContent, Path.Combine(directory, QueueId + ".eml"));
        // Why this fsync: after a crash, the message that got its 250 is still in incoming/ or hold/ (the rename survives).
        // Shared: one fsync that starts after this rename covers it and the renames of the sessions committing meanwhile.
        _queue.SyncShared(state);
        _done = true;
        return Task.CompletedTask;
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
            // A leftover .tmp is harmless: it is never listed, and MailQueue.RemoveLeftovers removes it.
        }
    }
}
