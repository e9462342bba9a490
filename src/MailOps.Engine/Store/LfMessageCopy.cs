using System.Buffers;

namespace MailOps.Engine.Store;

/// <summary>
/// Copies a message into its Maildir file the way Dovecot's LDA does with mail_save_crlf = no: every CRLF becomes LF
/// and a CR not followed by LF stays (istream-crlf.c, i_stream_create_lf). It measures what the file name needs in the
/// same pass: S, the bytes written, and W, the RFC 822 size (message-size.c: each LF not preceded by CR counts twice,
/// as IMAP serves it with CRLF).
/// </summary>
internal static class LfMessageCopy
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/> with LF line endings.</summary>
    /// <returns>The bytes written and the message's virtual (CRLF) size.</returns>
    public static async Task<(long Size, long VirtualSize)> CopyAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        var inBuffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var outBuffer = ArrayPool<byte>.Shared.Rent(64 * 1024 + 1);
        try
        {
            long size = 0, bareLf = 0;
            var pendingCr = false;
            byte lastWritten = 0;
            int read;
            while ((read = await input.ReadAsync(inBuffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var n = 0;
                var i = 0;
                while (i < read)
                {
                    if (pendingCr)
                    {
                        pendingCr = false;
                        // CR LF: the CR goes; any other CR stays.
                        if (inBuffer[i] != Lf) lastWritten = outBuffer[n++] = Cr;
                    }
                    // Up to the next CR nothing changes: copy the run at once and count its LFs (each is bare, as
                    // written, unless it follows a CR that stayed).
                    var rest = inBuffer.AsSpan(i, read - i);
                    var cr = rest.IndexOf(Cr);
                    var run = rest[..(cr < 0 ? rest.Length : cr)];
                    if (run.Length > 0)
                    {
                        bareLf += run.Count(Lf);
                        if (run[0] == Lf && lastWritten == Cr) bareLf--;
                        run.CopyTo(outBuffer.AsSpan(n));
                        n += run.Length;
                        lastWritten = run[^1];
                        i += run.Length;
                    }
                    if (cr >= 0)
                    {
                        pendingCr = true;
                        i++;
                    }
                }
                // Synchronous: the Maildir file is written to the page cache (its fsync follows); on Unix an async
                // file write is only a thread-pool hop per block.
                output.Write(outBuffer, 0, n);
                size += n;
            }
            if (pendingCr)
            {
                output.WriteByte(Cr);
                size++;
            }
            return (size, size + bareLf);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(inBuffer);
            ArrayPool<byte>.Shared.Return(outBuffer);
        }
    }

    /// <summary>The RFC 822 size of a stored message file that has no W= field (another program wrote it).</summary>
    public static long VirtualSizeOf(Stream stored)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long size = 0, bareLf = 0;
            byte previous = 0;
            int read;
            while ((read = stored.Read(buffer)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] == Lf && previous != Cr) bareLf++;
                    previous = buffer[i];
                }
                size += read;
            }
            return size + bareLf;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
