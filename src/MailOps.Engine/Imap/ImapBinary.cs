using System.Text;
using MimeKit;
using MimeKit.Encodings;

namespace MailOps.Engine.Imap;

/// <summary>
/// A section with its Content-Transfer-Encoding undone, for FETCH BINARY and BINARY.SIZE (RFC 3516 4.1): a leaf part's
/// base64 or quoted-printable content decoded (7bit, 8bit, binary and none as stored); a message, an attached message
/// or a multipart with every such part inside decoded in place, its Content-Transfer-Encoding field replaced by
/// "Content-Transfer-Encoding: binary" at the end of its header, as Dovecot converts them.
/// </summary>
/// <param name="Content">The octets; empty when the section does not exist.</param>
/// <param name="Binary">True when a part was decoded or is binary: the answer is a literal8 (~{n}), as Dovecot sends it.</param>
internal sealed record ImapBinary(byte[] Content, bool Binary)
{
    private static readonly byte[] BinaryField = "Content-Transfer-Encoding: binary\r\n"u8.ToArray();

    /// <summary>The section <paramref name="part"/> (empty: the whole message) decoded; null when a part's encoding is unknown (UNKNOWN-CTE).</summary>
    public static ImapBinary? Decode(ImapMessage message, IReadOnlyList<uint> part)
    {
        MimeEntity? entity;
        long from, to;
        if (part.Count == 0)
        {
            entity = message.Message.Body;
            (from, to) = (0, message.Raw.Length);
        }
        else
        {
            entity = message.Entity(part);
            if (entity is null) return new ImapBinary([], false);
            var extent = message.Extent(entity);
            (from, to) = (extent.HeadersEnd, extent.End);
            // A leaf's section is its content alone: decoded, no header to change.
            if (entity is not (Multipart or MessagePart)) entity = entity is MimePart leaf ? leaf : null;
        }
        var splices = new List<(long Start, long End, byte[] With)>();
        var binary = false;
        foreach (var leaf in Leaves(entity))
        {
            var encoding = Encoding(leaf);
            if (encoding is "" or "7bit" or "8bit") continue;
            if (encoding == "binary")
            {
                binary = true;
                continue;
            }
            IMimeDecoder? decoder = encoding switch
            {
                "base64" => new Base64Decoder(),
                "quoted-printable" => new QuotedPrintableDecoder(),
                _ => null,
            };
            if (decoder is null) return null;
            binary = true;
            var (start, headersEnd, end) = message.Extent(leaf);
            if (FieldExtent(message.Raw, start, headersEnd) is { } field && field.Start >= from)
            {
                // Dovecot's way: the field goes, and "Content-Transfer-Encoding: binary" ends the header, before its blank
                // line; a header without a blank line (a broken part) gets it in the field's place.
                var blank = headersEnd - 2;
                var endsBlank = blank >= field.End && message.Raw.AsSpan((int)blank, 2).SequenceEqual("\r\n"u8);
                splices.Add((field.Start, field.End, endsBlank ? [] : BinaryField));
                if (endsBlank) splices.Add((blank, blank, BinaryField));
            }
            var encoded = message.Raw.AsSpan((int)headersEnd, (int)(end - headersEnd)).ToArray();
            var decoded = new byte[decoder.EstimateOutputLength(encoded.Length)];
            splices.Add((headersEnd, end, decoded[..decoder.Decode(encoded, 0, encoded.Length, decoded)]));
        }
        var content = new MemoryStream();
        var at = from;
        foreach (var (start, end, with) in splices.OrderBy(s => s.Start))
        {
            if (start < at) continue; // overlapping offsets of a broken message: the first change wins
            content.Write(message.Raw, (int)at, (int)(start - at));
            content.Write(with);
            at = end;
        }
        content.Write(message.Raw, (int)at, (int)(to - at));
        var bytes = content.ToArray();
        return new ImapBinary(bytes, binary || bytes.Contains((byte)0));
    }

    private static IEnumerable<MimeEntity> Leaves(MimeEntity? entity) => entity switch
    {
        null => [],
        Multipart multipart => multipart.SelectMany(Leaves),
        MessagePart { Message: { } inner } => Leaves(inner.Body),
        _ => [entity],
    };

    // The mechanism, lower case; a comment after it (RFC 2045 6.1 allows one) is not part of it.
    private static string Encoding(MimeEntity entity)
    {
        var value = entity.Headers[HeaderId.ContentTransferEncoding] ?? "";
        var comment = value.IndexOf('(', StringComparison.Ordinal);
        return (comment < 0 ? value : value[..comment]).Trim().ToLowerInvariant();
    }

    // The Content-Transfer-Encoding field in a header block, its folded lines and line end included.
    private static (long Start, long End)? FieldExtent(byte[] raw, long start, long end)
    {
        var line = (int)start;
        while (line < end)
        {
            var next = line;
            do
            {
                var lf = Array.IndexOf(raw, (byte)'\n', next, (int)end - next);
                next = lf < 0 ? (int)end : lf + 1;
            }
            while (next < end && raw[next] is (byte)' ' or (byte)'\t');
            var colon = Array.IndexOf(raw, (byte)':', line, next - line);
            if (colon > line && System.Text.Encoding.ASCII.GetString(raw, line, colon - line).Trim().Equals("Content-Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                return (line, next);
            line = next;
        }
        return null;
    }
}
