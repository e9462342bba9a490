namespace MailOps.Engine.Pop3;

/// <summary>
/// Sends a message as a POP3 multi-line response (RFC 1939 3): every line starting with '.' gets one more, a last line
/// without CRLF gets one, and ".\r\n" ends it. For TOP (RFC 1939 7) only the header, the blank line and the first
/// lines of the body are sent.
/// </summary>
internal static class Pop3MessageWriter
{
    private const int BlockSize = 64 * 1024;

    /// <summary>
    /// Copies <paramref name="content"/> (CRLF line endings) to <paramref name="output"/> dot-stuffed; returns the bytes of
    /// the message sent (without the stuffing and the terminator).
    /// </summary>
    /// <param name="content">The message.</param>
    /// <param name="output">The client.</param>
    /// <param name="bodyLines">For TOP, how many body lines; null sends it all.</param>
    /// <param name="cancellationToken">Stops sending.</param>
    public static async Task<long> WriteAsync(Stream content, Stream output, int? bodyLines, CancellationToken cancellationToken)
    {
        var input = new byte[BlockSize];
        // Under a block carried over, plus at worst a '.' added to every byte of the next block, plus the ending.
        var buffer = new byte[3 * BlockSize + 8];
        var count = 0;
        long sent = 0;
        var lineStart = true;
        var lineBlank = true;
        var inHeader = true;
        var linesLeft = bodyLines ?? -1;
        var last = (byte)'\n';
        var done = false;
        int read;
        while (!done && (read = await content.ReadAsync(input, cancellationToken).ConfigureAwait(false)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var b = input[i];
                if (lineStart)
                {
                    if (!inHeader && linesLeft == 0)
                    {
                        done = true;
                        break;
                    }
                    if (b == (byte)'.') buffer[count++] = (byte)'.';
                    lineStart = false;
                    lineBlank = true;
                }
                buffer[count++] = b;
                sent++;
                last = b;
                if (b == (byte)'\n')
                {
                    if (inHeader && lineBlank) inHeader = false;
                    else if (!inHeader && linesLeft > 0) linesLeft--;
                    lineStart = true;
                }
                else if (b != (byte)'\r')
                {
                    lineBlank = false;
                }
            }
            if (count >= BlockSize)
            {
                await output.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                count = 0;
            }
        }
        if (last != (byte)'\n')
        {
            buffer[count++] = (byte)'\r';
            buffer[count++] = (byte)'\n';
        }
        buffer[count++] = (byte)'.';
        buffer[count++] = (byte)'\r';
        buffer[count++] = (byte)'\n';
        await output.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return sent;
    }
}
