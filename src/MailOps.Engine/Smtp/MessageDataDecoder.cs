using System.Buffers;

namespace MailOps.Engine.Smtp;

/// <summary>
/// The DATA state machine (RFC 5321 4.1.1.4, 4.5.2): finds the end-of-data line, removes dot-stuffing, and watches
/// for what must be refused (bare CR or LF, NUL, over-long lines, over-size) while streaming the rest to a file.
/// </summary>
internal sealed class MessageDataDecoder
{
    // The bytes that end a run of ordinary line content: everything else is copied in bulk.
    private static readonly SearchValues<byte> LineSpecials = SearchValues.Create("\r\n\0"u8);

    private readonly Stream _output;
    private readonly long _maxSize;
    private readonly bool _rejectBareNewline;
    private readonly byte[] _pending = new byte[64 * 1024];
    private int _pendingCount;
    private State _state = State.LineStart;
    private int _lineLength;

    public MessageDataDecoder(Stream output, long maxSize, bool rejectBareNewline)
    {
        _output = output;
        _maxSize = maxSize;
        _rejectBareNewline = rejectBareNewline;
    }

    private enum State
    {
        LineStart,
        InLine,
        SawCr,
        DotAtLineStart,
        DotCr,
    }

    public long Size { get; private set; }

    public bool BareNewline { get; private set; }

    public bool Nul { get; private set; }

    public bool TooBig { get; private set; }

    public bool LineTooLong { get; private set; }

    /// <summary>True when writing to the queue file failed (disk full); the rest is read and thrown away.</summary>
    public bool WriteFailed { get; private set; }

    /// <summary>True when the message will be refused; from then on nothing more is written.</summary>
    public bool Refused => WriteFailed || TooBig || Nul || LineTooLong || (BareNewline && _rejectBareNewline);

    /// <summary>Consumes bytes; returns how many were used and whether the end-of-data line was seen.</summary>
    public int Feed(ReadOnlySpan<byte> input, out bool ended)
    {
        for (int i = 0; i < input.Length; i++)
        {
            if (_state == State.InLine)
            {
                // Inside a line only CR, LF and NUL change anything: copy the run before the next one at once.
                int run = input[i..].IndexOfAny(LineSpecials);
                if (run < 0)
                {
                    run = input.Length - i;
                }

                if (run > 0)
                {
                    InLineRun(input.Slice(i, run));
                    i += run - 1;
                    continue;
                }
            }

            byte b = input[i];
            switch (_state)
            {
                case State.LineStart:
                    if (b == (byte)'.')
                    {
                        _state = State.DotAtLineStart;
                    }
                    else
                    {
                        InLine(b);
                    }

                    break;
                case State.DotAtLineStart:
                    if (b == (byte)'\r')
                    {
                        _state = State.DotCr;
                    }
                    else
                    {
                        // RFC 5321 4.5.2: a leading dot was doubled by the client; drop one. A bare LF after the dot
                        // is not an end of data here, whatever other servers think (SMTP smuggling).
                        InLine(b);
                    }

                    break;
                case State.DotCr:
                    if (b == (byte)'\n')
                    {
                        ended = true;
                        Flush();
                        return i + 1;
                    }

                    BareNewline = true;
                    Emit((byte)'.');
                    Emit((byte)'\r');
                    InLine(b);
                    break;
                case State.InLine:
                    InLine(b);
                    break;
                case State.SawCr:
                    if (b == (byte)'\n')
                    {
                        Emit((byte)'\r');
                        Emit((byte)'\n');
                        _lineLength = 0;
                        _state = State.LineStart;
                    }
                    else
                    {
                        BareNewline = true;
                        Emit((byte)'\r');
                        _state = State.InLine;
                        InLine(b);
                    }

                    break;
            }
        }

        ended = false;
        return input.Length;
    }

    /// <summary>Writes what is pending to the output stream.</summary>
    public void Flush()
    {
        if (_pendingCount > 0 && !Refused)
        {
            try
            {
                _output.Write(_pending, 0, _pendingCount);
            }
            catch (IOException)
            {
                WriteFailed = true;
            }
        }

        _pendingCount = 0;
    }

    private void InLine(byte b)
    {
        _state = State.InLine;
        switch (b)
        {
            case (byte)'\r':
                _state = State.SawCr;
                return;
            case (byte)'\n':
                // A bare LF: refused by default; otherwise stored as a proper CRLF line end.
                BareNewline = true;
                Emit((byte)'\r');
                Emit((byte)'\n');
                _lineLength = 0;
                _state = State.LineStart;
                return;
            case 0:
                Nul = true;
                return;
        }

        // RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including CRLF.
        if (++_lineLength > 998)
        {
            LineTooLong = true;
        }

        Emit(b);
    }

    // Ordinary line content (no CR, LF or NUL), as InLine for each byte.
    private void InLineRun(ReadOnlySpan<byte> run)
    {
        // RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including CRLF.
        _lineLength += run.Length;
        if (_lineLength > 998)
        {
            LineTooLong = true;
        }

        if (Refused)
        {
            return;
        }

        if (Size + run.Length > _maxSize)
        {
            Size = _maxSize + 1;
            TooBig = true;
            _pendingCount = 0;
            return;
        }

        Size += run.Length;
        while (run.Length > 0)
        {
            int n = Math.Min(run.Length, _pending.Length - _pendingCount);
            run[..n].CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += n;
            run = run[n..];
            if (_pendingCount == _pending.Length)
            {
                Flush();
            }
        }
    }

    private void Emit(byte b)
    {
        if (Refused)
        {
            return;
        }

        if (++Size > _maxSize)
        {
            TooBig = true;
            _pendingCount = 0;
            return;
        }

        _pending[_pendingCount++] = b;
        if (_pendingCount == _pending.Length)
        {
            Flush();
        }
    }
}
