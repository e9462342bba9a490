namespace MailOps.Engine.Listeners;

/// <summary>
/// The bytes a client sent, buffered: lines for commands, raw spans for SMTP DATA and BDAT (SMTP and POP3 sessions). One per stream; replaced
/// (so its buffer is discarded) when the stream is replaced by TLS. The buffer starts small, since most sessions send short
/// commands and thousands may sit in IMAP IDLE, and grows to 32 KiB when reads keep filling it (message data, long lines).
/// </summary>
internal sealed class LineInput
{
    private const int InitialSize = 4 * 1024;
    private const int MaxSize = 32 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[InitialSize];
    private int _start;
    private int _end;
    private bool _lastReadFilled;

    public LineInput(Stream stream) => _stream = stream;

    /// <summary>Bytes received but not yet consumed.</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public int BufferedCount => _end - _start;

    public void Consume(int count) => _start += count;

    /// <summary>Reads more bytes into the buffer; 0 at end of stream.</summary>
    public async ValueTask<int> FillAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Length < MaxSize && (_lastReadFilled || (_start == 0 && _end == _buffer.Length)))
        {
            // More is coming than the buffer holds (or a line does not fit): grow, keeping what is unread.
            var larger = new byte[Math.Min(_buffer.Length * 2, MaxSize)];
            Buffer.BlockCopy(_buffer, _start, larger, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _buffer = larger;
        }
        else if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var space = _buffer.Length - _end;
        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _lastReadFilled = read == space;
        _end += read;
        return read;
    }

    /// <summary>
    /// Reads one line of at most <paramref name="maxLength"/> octets before its CRLF; the line's bytes are returned
    /// without the line end.
    /// </summary>
    public async ValueTask<(LineEnd End, byte[] Line)> ReadLineAsync(int maxLength, CancellationToken cancellationToken)
    {
        bool tooLong = false;
        while (true)
        {
            int lf = Buffered.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                ReadOnlySpan<byte> raw = Buffered[..lf];
                Consume(lf + 1);
                if (tooLong)
                {
                    return (LineEnd.TooLong, []);
                }

                bool crlf = raw.Length > 0 && raw[^1] == (byte)'\r';
                ReadOnlySpan<byte> line = crlf ? raw[..^1] : raw;
                if (line.Length > maxLength)
                {
                    return (LineEnd.TooLong, []);
                }

                return (crlf ? LineEnd.CrLf : LineEnd.BareLf, line.ToArray());
            }

            if (BufferedCount > maxLength + 1)
            {
                // Never buffer an over-long line: drop what we have and keep reading until its end.
                tooLong = true;
                Consume(BufferedCount);
            }

            if (await FillAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return (LineEnd.EndOfStream, []);
            }
        }
    }
}
