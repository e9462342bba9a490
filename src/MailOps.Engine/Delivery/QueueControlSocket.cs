using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MailOps.Engine.Logging;
using MailOps.Engine.Queue;
using MailOps.Queue;

namespace MailOps.Engine.Delivery;

/// <summary>
/// The running server's queue control socket (as Postfix's public/showq and public/qmgr): a Unix domain socket,
/// <c>public/queue-control</c> under the queue root, mode 0600 in a 0700 directory, so only the server's own user can
/// ask it to list, hold, release, delete or flush. Each connection carries one request (see <see cref="QueueControlProtocol"/>),
/// carried out by the queue manager, so changes from another process never race delivery.
/// </summary>
public sealed class QueueControlSocket : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IQueueControl _control;
    private readonly MailLog? _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly string _path;

    private QueueControlSocket(Socket socket, string path, IQueueControl control, MailLog? log)
    {
        _socket = socket;
        _path = path;
        _control = control;
        _log = log;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The socket's path for the queue at <paramref name="queueRoot"/>.</summary>
    public static string PathOf(string queueRoot) => Path.Combine(QueueLock.PublicDirectory(queueRoot), "queue-control");

    /// <summary>
    /// Listens for <paramref name="control"/>. The caller holds the <see cref="QueueLock"/>: a socket file found there is
    /// a dead server's and is replaced.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The path is longer than a Unix socket address allows (107 bytes).</exception>
    public static QueueControlSocket Start(string queueRoot, IQueueControl control, MailLog? log)
    {
        var path = PathOf(queueRoot);
        var endPoint = new UnixDomainSocketEndPoint(path);
        Directory.CreateDirectory(QueueLock.PublicDirectory(queueRoot), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(endPoint);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(32);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new QueueControlSocket(socket, path, control, log);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
            try
            {
                var line = await ReadLineAsync(stream, _stop.Token).ConfigureAwait(false);
                var request = line is null ? null : JsonSerializer.Deserialize<QueueControlRequest>(line, QueueControlProtocol.Json);
                if (request is null) return;
                await AnswerAsync(request, writer, _stop.Token).ConfigureAwait(false);
                await writer.FlushAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or JsonException)
            {
                // The client went away or sent something else: nothing to answer.
            }
            finally
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task AnswerAsync(QueueControlRequest request, StreamWriter writer, CancellationToken cancellationToken)
    {
        var id = request.QueueId ?? "";
        try
        {
            switch (request.Command)
            {
                case QueueControlProtocol.List:
                    await foreach (var message in _control.ListAsync(request.Filter ?? MailQueueFilter.All, cancellationToken).ConfigureAwait(false))
                        await WriteAsync(writer, new QueueControlReply(message), cancellationToken).ConfigureAwait(false);
                    break;
                case QueueControlProtocol.Hold:
                    await WriteAsync(writer, new QueueControlReply(await _control.HoldAsync(id, cancellationToken).ConfigureAwait(false)), cancellationToken).ConfigureAwait(false);
                    break;
                case QueueControlProtocol.Release:
                    await WriteAsync(writer, new QueueControlReply(await _control.ReleaseAsync(id, cancellationToken).ConfigureAwait(false)), cancellationToken).ConfigureAwait(false);
                    break;
                case QueueControlProtocol.Delete:
                    await WriteAsync(writer, new QueueControlReply(await _control.DeleteAsync(id, request.NotifySender, cancellationToken).ConfigureAwait(false)), cancellationToken).ConfigureAwait(false);
                    break;
                case QueueControlProtocol.Flush:
                    await WriteAsync(writer, new QueueControlReply(await _control.FlushAsync(id, cancellationToken).ConfigureAwait(false)), cancellationToken).ConfigureAwait(false);
                    break;
                case QueueControlProtocol.FlushAll:
                    foreach (var message in await _control.FlushAllAsync(cancellationToken).ConfigureAwait(false))
                        await WriteAsync(writer, new QueueControlReply(message), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await WriteAsync(writer, new QueueControlReply(Error: QueueControlProtocol.Failed, Text: $"unknown command '{request.Command}'"), cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (MailQueueMessageNotFoundException e)
        {
            await WriteAsync(writer, new QueueControlReply(Error: QueueControlProtocol.NotFound, Text: e.Message), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            await WriteAsync(writer, new QueueControlReply(Error: QueueControlProtocol.WrongState, Text: e.Message), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
        {
            _log?.Warning("postsuper", $"{(id.Length > 0 ? id + ": " : "")}{request.Command} failed: {e.Message}");
            await WriteAsync(writer, new QueueControlReply(Error: QueueControlProtocol.Failed, Text: e.Message), cancellationToken).ConfigureAwait(false);
        }
        await WriteAsync(writer, new QueueControlReply(End: true), cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteAsync(StreamWriter writer, QueueControlReply reply, CancellationToken cancellationToken)
    {
        await writer.WriteLineAsync(JsonSerializer.Serialize(reply, QueueControlProtocol.Json).AsMemory(), cancellationToken).ConfigureAwait(false);
    }

    // One line (LF-terminated), at most MaxRequestLength bytes; null at end of stream.
    internal static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var one = new byte[1];
        while (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 1)
        {
            if (one[0] == (byte)'\n') return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            if (buffer.Length >= QueueControlProtocol.MaxRequestLength) throw new IOException("control request too long");
            buffer.WriteByte(one[0]);
        }
        return buffer.Length > 0 ? Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) : null;
    }

    /// <summary>Stops listening and removes the socket file; requests in progress end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _accepting.ConfigureAwait(false);
        try { File.Delete(_path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _stop.Dispose();
    }
}
