using System.Globalization;
using System.Text;
using MailOps.Engine.Listeners;

namespace MailOps.Engine.Imap;

/// <summary>What reading one command gave.</summary>
internal enum ImapReadStatus
{
    /// <summary>A whole command, literals included.</summary>
    Command,
    /// <summary>A line longer than the limit; it was read and dropped.</summary>
    LineTooLong,
    /// <summary>A literal larger than the limit was announced; a synchronizing one was not accepted.</summary>
    LiteralTooLarge,
    /// <summary>A literal larger than the limit was sent without waiting (LITERAL+): the session must end.</summary>
    NonSyncLiteralTooLarge,
    /// <summary>The client closed the connection.</summary>
    EndOfStream,
}

/// <summary>
/// Reads one IMAP command with its literals (RFC 3501 4.3, 7.5; LITERAL+ RFC 7888): a line that ends in <c>{n}</c> is
/// answered with a continuation request, then n octets and the rest of the command follow. The command comes back as
/// one byte array, literal octets in place after their <c>{n}CRLF</c>, for <see cref="ImapParser"/>.
/// </summary>
internal sealed class ImapCommandReader(Func<string, Task> sendContinuation)
{
    /// <summary>The longest line (between literals) accepted: far more than the 8000 octets RFC 7162 4 asks for.</summary>
    public const int LineLimit = 30000;

    /// <summary>Reads the next command from <paramref name="input"/>; literals may be up to <paramref name="literalLimit"/> octets.</summary>
    public async Task<(ImapReadStatus Status, byte[] Command)> ReadAsync(LineInput input, long literalLimit, CancellationToken cancellationToken)
    {
        var command = new MemoryStream();
        while (true)
        {
            var (end, line) = await input.ReadLineAsync(LineLimit, cancellationToken).ConfigureAwait(false);
            if (end == LineEnd.EndOfStream) return (ImapReadStatus.EndOfStream, []);
            if (end == LineEnd.TooLong) return (ImapReadStatus.LineTooLong, command.ToArray());
            command.Write(line);
            var (length, sync) = TrailingLiteral(line);
            if (length < 0) return (ImapReadStatus.Command, command.ToArray());
            if (length > literalLimit || command.Length + length > literalLimit + LineLimit)
                return (sync ? ImapReadStatus.LiteralTooLarge : ImapReadStatus.NonSyncLiteralTooLarge, command.ToArray());
            command.Write("\r\n"u8);
            if (sync) await sendContinuation("+ OK").ConfigureAwait(false);
            var remaining = length;
            while (remaining > 0)
            {
                if (input.BufferedCount == 0 && await input.FillAsync(cancellationToken).ConfigureAwait(false) == 0) return (ImapReadStatus.EndOfStream, []);
                var take = (int)Math.Min(remaining, input.BufferedCount);
                command.Write(input.Buffered[..take]);
                input.Consume(take);
                remaining -= take;
            }
        }
    }

    /// <summary>The length of a <c>{n}</c> or <c>{n+}</c> ending the line, -1 when there is none.</summary>
    internal static (long Length, bool Sync) TrailingLiteral(ReadOnlySpan<byte> line)
    {
        if (line.Length < 3 || line[^1] != (byte)'}') return (-1, true);
        var open = line.LastIndexOf((byte)'{');
        if (open < 0) return (-1, true);
        var inside = line[(open + 1)..^1];
        var sync = true;
        if (inside.Length > 0 && inside[^1] == (byte)'+')
        {
            sync = false;
            inside = inside[..^1];
        }
        if (inside.Length is 0 or > 18) return (-1, true);
        foreach (var b in inside)
        {
            if (b is < (byte)'0' or > (byte)'9') return (-1, true);
        }
        return (long.Parse(Encoding.ASCII.GetString(inside), NumberStyles.None, CultureInfo.InvariantCulture), sync);
    }
}
