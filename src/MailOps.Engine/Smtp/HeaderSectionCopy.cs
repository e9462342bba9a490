using MimeKit;

namespace MailOps.Engine.Smtp;

/// <summary>
/// Passes message data through to the queue file and keeps a copy of its header section (RFC 5322 2.1: everything
/// before the first empty line, at most 64 KB), so that the Message-ID can be logged the way Postfix's cleanup logs it
/// without reading the queue file back. Past the header section it only forwards.
/// </summary>
internal sealed class HeaderSectionCopy(Stream queueFile) : Stream
{
    private const int Limit = 64 * 1024;
    private static ReadOnlySpan<byte> EmptyLine => "\r\n\r\n"u8;

    private readonly MemoryStream _headers = new();
    private bool _complete;

    /// <summary>The value of the first Message-ID header, trimmed; null when the header section has none.</summary>
    public string? MessageId()
    {
        _headers.Position = 0;
        try
        {
            var headers = HeaderList.Load(_headers);
            var value = headers[HeaderId.MessageId]?.Trim();
            return string.IsNullOrEmpty(value) ? null : value;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        queueFile.Write(buffer);
        if (_complete) return;
        // Look for the empty line from up to three bytes before this write, as CRLF CRLF may straddle two writes.
        var from = (int)Math.Max(0, _headers.Length - 3);
        var take = (int)Math.Min(buffer.Length, Limit - _headers.Length);
        _headers.Write(buffer[..take]);
        var end = _headers.GetBuffer().AsSpan(from, (int)_headers.Length - from).IndexOf(EmptyLine);
        if (end >= 0)
        {
            _headers.SetLength(from + end + EmptyLine.Length);
            _complete = true;
        }
        else if (_headers.Length >= Limit)
        {
            _complete = true;
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Flush() => queueFile.Flush();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => queueFile.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
