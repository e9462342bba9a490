using MailOps.Engine.Platform;

namespace MailOps.Engine.Queue;

/// <summary>
/// A message being received into the queue: content is written to a temporary file in incoming/ while it arrives;
/// <see cref="CommitAsync"/> makes it durable and visible; disposing without commit throws it away.
/// </summary>
public sealed class QueuedMessageWriter : IAsyncDisposable
{
    private readonly MailQueue _queue;
    private readonly string _temporaryContent;
    private readonly FileStream _content;
    private bool _done;

    internal QueuedMessageWriter(MailQueue queue, string queueId)
    {
        _queue = queue;
        QueueId = queueId;
        _temporaryContent = Path.Combine(queue.DirectoryOf(QueueState.Incoming), queueId + ".eml.tmp");
        _content = new FileStream(_temporaryContent, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536, useAsync: false);
    }

    /// <summary>The queue ID the message will have.</summary>
    public string QueueId { get; }

    /// <summary>The stream the message content (headers and body, CRLF line ends) is written to.</summary>
    public Stream Content => _content;

    /// <summary>
    /// Appends the envelope to the content, fsyncs the file, renames it into place and fsyncs incoming/: two fsyncs.
    /// Only after this returns may the server say 250: the message then survives a crash or power loss.
    /// </summary>
    public Task CommitAsync(Envelope envelope, CancellationToken cancellationToken)
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

        string directory = _queue.DirectoryOf(QueueState.Incoming);
        File.Move(_temporaryContent, Path.Combine(directory, QueueId + ".eml"));
        // Why this fsync: after a crash, the message that got its 250 is still in incoming/ (the rename survives).
        Posix.FsyncDirectory(directory);
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
