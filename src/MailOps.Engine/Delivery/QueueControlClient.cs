using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using MailOps.Engine.Logging;
using MailOps.Engine.Queue;
using MailOps.Queue;

namespace MailOps.Engine.Delivery;

/// <summary>
/// Queue commands for a queue directory, from any process: when a server runs on it, each request goes to that server's
/// <see cref="QueueControlSocket"/> (postqueue's way); when none does (its socket refuses and its <see cref="QueueLock"/>
/// is free), the files are changed directly under that lock (postsuper's way), and flushing only makes deferred mail
/// due for the next start. Each operation looks again, so a server that starts or stops between two of them is noticed.
/// </summary>
public sealed class QueueControlClient : IQueueControl
{
    // How long a queue whose lock is held but whose socket does not answer (a server starting or stopping) is waited for.
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(15);

    private readonly string _root;
    private readonly string _hostName;
    private readonly string? _logPath;

    /// <summary>Commands for the queue at <paramref name="queueRoot"/>; notices are signed by <paramref name="hostName"/>, changes logged to <paramref name="logPath"/>.</summary>
    public QueueControlClient(string queueRoot, string hostName, string? logPath)
    {
        _root = Path.GetFullPath(queueRoot);
        _hostName = hostName;
        _logPath = logPath;
    }

    /// <summary>True when a server answers on the queue's control socket now.</summary>
    public async Task<bool> IsServerRunningAsync(CancellationToken cancellationToken)
    {
        using var socket = await TryConnectAsync(cancellationToken).ConfigureAwait(false);
        return socket is not null;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<MailQueueMessage> ListAsync(MailQueueFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var socket = await TryConnectAsync(cancellationToken).ConfigureAwait(false);
        if (socket is null)
        {
            // Reading needs no lock: queue files appear and move by rename, and one gone meanwhile is skipped.
            if (!Directory.Exists(_root)) yield break;
            await foreach (var message in QueueListing.ListAsync(new MailQueue(_root), filter, cancellationToken).ConfigureAwait(false))
                yield return message;
            yield break;
        }
        using (socket)
        {
            await foreach (var message in AskAsync(socket, new QueueControlRequest(QueueControlProtocol.List, Filter: filter), cancellationToken).ConfigureAwait(false))
                yield return message;
        }
    }

    /// <inheritdoc />
    public Task<MailQueueMessage> HoldAsync(string queueId, CancellationToken cancellationToken) =>
        OneAsync(new QueueControlRequest(QueueControlProtocol.Hold, queueId), editor => editor.HoldAsync(queueId, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<MailQueueMessage> ReleaseAsync(string queueId, CancellationToken cancellationToken) =>
        OneAsync(new QueueControlRequest(QueueControlProtocol.Release, queueId), editor => editor.ReleaseAsync(queueId, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<MailQueueMessage> DeleteAsync(string queueId, bool notifySender, CancellationToken cancellationToken) =>
        OneAsync(new QueueControlRequest(QueueControlProtocol.Delete, queueId, notifySender),
            async editor => (await editor.DeleteAsync(queueId, notifySender, cancellationToken).ConfigureAwait(false)).Message, cancellationToken);

    /// <inheritdoc />
    public Task<MailQueueMessage> FlushAsync(string queueId, CancellationToken cancellationToken) =>
        OneAsync(new QueueControlRequest(QueueControlProtocol.Flush, queueId), editor => editor.MakeDueAsync(queueId, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<MailQueueMessage>> FlushAllAsync(CancellationToken cancellationToken) =>
        OnQueueAsync(new QueueControlRequest(QueueControlProtocol.FlushAll), async editor =>
        {
            var flushed = new List<MailQueueMessage>();
            foreach (var id in editor.Queue.List(QueueState.Deferred))
            {
                try { flushed.Add(await editor.MakeDueAsync(id, cancellationToken).ConfigureAwait(false)); }
                catch (MailQueueMessageNotFoundException) { }
            }
            return (IReadOnlyList<MailQueueMessage>)flushed;
        }, cancellationToken);

    private async Task<MailQueueMessage> OneAsync(QueueControlRequest request, Func<QueueEditor, Task<MailQueueMessage>> direct, CancellationToken cancellationToken)
    {
        if (!QueueId.IsValid(request.QueueId ?? "")) throw new MailQueueMessageNotFoundException(request.QueueId ?? "", $"'{request.QueueId}' is not a queue ID.");
        var replies = await OnQueueAsync(request, async editor => (IReadOnlyList<MailQueueMessage>)[await direct(editor).ConfigureAwait(false)], cancellationToken).ConfigureAwait(false);
        return replies.Count == 1 ? replies[0] : throw new IOException($"The server answered {replies.Count} messages to '{request.Command} {request.QueueId}'.");
    }

    // Asks the server when one answers; else, holding the queue lock, has the editor change the files.
    private async Task<IReadOnlyList<MailQueueMessage>> OnQueueAsync(QueueControlRequest request, Func<QueueEditor, Task<IReadOnlyList<MailQueueMessage>>> direct, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + AnswerTimeout;
        while (true)
        {
            var socket = await TryConnectAsync(cancellationToken).ConfigureAwait(false);
            if (socket is not null)
            {
                using (socket)
                {
                    var replies = new List<MailQueueMessage>();
                    await foreach (var message in AskAsync(socket, request, cancellationToken).ConfigureAwait(false)) replies.Add(message);
                    return replies;
                }
            }
            if (!Directory.Exists(_root))
                throw new MailQueueMessageNotFoundException(request.QueueId ?? "", $"There is no queue at {_root}: no server has run with this configuration.");
            using (var held = QueueLock.TryAcquire(_root))
            {
                if (held is not null)
                {
                    using var log = _logPath is null ? null : new MailLog(_logPath, _hostName);
                    var queue = new MailQueue(_root);
                    return await direct(new QueueEditor(queue, new NonDeliveryNotifier(queue, _hostName, log), log)).ConfigureAwait(false);
                }
            }
            // Locked but not answering: a server starting (socket not yet open) or stopping.
            if (DateTime.UtcNow > deadline)
                throw new IOException($"A process holds the queue {_root} ({QueueLock.PathOf(_root)} is locked) but does not answer on {QueueControlSocket.PathOf(_root)}.");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Socket?> TryConnectAsync(CancellationToken cancellationToken)
    {
        UnixDomainSocketEndPoint endPoint;
        try { endPoint = new UnixDomainSocketEndPoint(QueueControlSocket.PathOf(_root)); }
        catch (ArgumentOutOfRangeException) { return null; } // a path too long for a socket: no server could listen there
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    // Sends one request and yields the messages of the replies until the last; an error reply becomes its exception.
    private static async IAsyncEnumerable<MailQueueMessage> AskAsync(Socket socket, QueueControlRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var line = JsonSerializer.SerializeToUtf8Bytes(request, QueueControlProtocol.Json);
        await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        while (true)
        {
            var text = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new IOException("The server closed the queue control connection before its answer was complete.");
            var reply = JsonSerializer.Deserialize<QueueControlReply>(text, QueueControlProtocol.Json)
                ?? throw new IOException("The server sent an empty reply.");
            if (reply.Error is { } error)
            {
                throw error switch
                {
                    QueueControlProtocol.NotFound => new MailQueueMessageNotFoundException(request.QueueId ?? "", reply.Text ?? ""),
                    QueueControlProtocol.WrongState => new InvalidOperationException(reply.Text),
                    _ => new IOException(reply.Text),
                };
            }
            if (reply.Message is { } message) yield return message;
            if (reply.End) yield break;
        }
    }
}
