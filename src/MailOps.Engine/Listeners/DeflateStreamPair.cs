using System.IO.Compression;
using MailOps.Engine.Delivery;

namespace MailOps.Engine.Listeners;

/// <summary>
/// COMPRESS=DEFLATE (RFC 4978) over a session's connection (plain or TLS, compression inside TLS as RFC 4978 6 asks): what
/// the client sends is inflated, what the server writes is deflated, both raw DEFLATE (RFC 1951, no zlib header). Every
/// <see cref="FlushAsync(CancellationToken)"/> ends with a sync flush (RFC 4978 4: the client can decode each response
/// at once). Reading and writing go on at the same time (IDLE), as over the stream beneath.
/// </summary>
internal sealed class DeflateStreamPair : Stream
{
    private readonly Stream _inner;
    private readonly DeflateStream _inflate;
    private readonly DeflateStream _deflate;

    /// <param name="inner">The connection; owned (closed with this stream).</param>
    /// <param name="received">What the client already sent after the command that started compression: compressed data.</param>
    public DeflateStreamPair(Stream inner, ReadOnlySpan<byte> received)
    {
        _inner = inner;
        _inflate = new DeflateStream(received.IsEmpty ? inner : new ConcatenatedStream(new MemoryStream(received.ToArray()), inner), CompressionMode.Decompress, leaveOpen: true);
        // Dovecot's imap_compress_deflate_level is 6, zlib's default, which Optimal means.
        _deflate = new DeflateStream(inner, CompressionLevel.Optimal, leaveOpen: true);
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _inflate.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inflate.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inflate.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => _deflate.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _deflate.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _deflate.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // DeflateStream.Flush is zlib's Z_SYNC_FLUSH (ending in 00 00 FF FF), then a flush of the stream beneath.
    public override void Flush() => _deflate.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _deflate.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                _deflate.Dispose();
            }
            catch (IOException)
            {
                // The connection is gone: the final deflate block has nowhere to go.
            }
            _inflate.Dispose();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _deflate.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The connection is gone: the final deflate block has nowhere to go.
        }
        await _inflate.DisposeAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
