using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace MailOps.Engine.Imap;

/// <summary>
/// One message's bytes parsed with MimeKit, with the octet offsets of every MIME part and embedded message, for what
/// FETCH and SEARCH need: ENVELOPE (RFC 3501 7.4.2), BODY and BODYSTRUCTURE, and BODY[section] served from the original
/// octets (RFC 3501 6.4.5), never re-encoded.
/// </summary>
internal sealed class ImapMessage
{
    private sealed record Offsets(long Start, long HeadersEnd, long End, int Lines);

    private readonly Dictionary<MimeEntity, Offsets> _entities = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<MimeMessage, Offsets> _messages = new(ReferenceEqualityComparer.Instance);

    /// <summary>The message as stored (CRLF line endings).</summary>
    public byte[] Raw { get; }

    /// <summary>The parsed message.</summary>
    public MimeMessage Message { get; }

    public ImapMessage(byte[] raw)
    {
        Raw = raw;
        var parser = new MimeParser(new MemoryStream(raw, writable: false), MimeFormat.Entity, persistent: false);
        var begins = new Dictionary<MimeMessage, long>(ReferenceEqualityComparer.Instance);
        // Lines are the LFs in the content, as Dovecot counts them: the line end before a boundary belongs to the boundary.
        parser.MimeEntityEnd += (_, e) => _entities[e.Entity] = new Offsets(e.BeginOffset, e.HeadersEndOffset, e.EndOffset,
            raw.AsSpan((int)e.HeadersEndOffset, (int)(e.EndOffset - e.HeadersEndOffset)).Count((byte)'\n'));
        parser.MimeMessageBegin += (_, e) => begins[e.Message] = e.BeginOffset;
        parser.MimeMessageEnd += (_, e) => _messages[e.Message] = new Offsets(begins.GetValueOrDefault(e.Message), e.HeadersEndOffset, e.EndOffset, 0);
        try
        {
            Message = parser.ParseMessage();
        }
        catch (FormatException)
        {
            // MimeKit finds no message in an empty file: it is one with an empty header and no body, not a reason to end the session.
            Message = MimeMessage.Load(new MemoryStream("\r\n"u8.ToArray(), writable: false));
        }
    }

    /// <summary>The octets of a section (RFC 3501 6.4.5); null when the part does not exist.</summary>
    public byte[]? Section(IReadOnlyList<uint> part, string text, IReadOnlyList<string> fields)
    {
        var message = Message;
        MimeEntity? entity = null;
        if (part.Count > 0)
        {
            entity = Part(part);
            if (entity is null) return null;
            if (text is "HEADER" or "HEADER.FIELDS" or "HEADER.FIELDS.NOT" or "TEXT")
            {
                if (entity is not MessagePart { Message: { } inner }) return null;
                message = inner;
            }
        }
        if (entity is not null && text is "" or "MIME")
        {
            var o = _entities[entity];
            return text == "MIME" ? Slice(o.Start, HeaderBlockEnd(o)) : Slice(o.HeadersEnd, o.End);
        }
        var m = MessageOffsets(message);
        return text switch
        {
            "" => Slice(m.Start, m.End),
            "HEADER" => Slice(m.Start, m.HeadersEnd),
            "TEXT" => Slice(m.HeadersEnd, m.End),
            "HEADER.FIELDS" => HeaderFields(Slice(m.Start, m.HeadersEnd), fields, keep: true),
            "HEADER.FIELDS.NOT" => HeaderFields(Slice(m.Start, m.HeadersEnd), fields, keep: false),
            _ => null,
        };
    }

    /// <summary>The MIME part numbered <paramref name="part"/>, for BINARY's Content-Transfer-Encoding; null when there is none.</summary>
    public MimeEntity? Entity(IReadOnlyList<uint> part) => Part(part);

    /// <summary>Where an entity's header starts, where its header (blank line included) ends, and where it ends, in <see cref="Raw"/>.</summary>
    public (long Start, long HeadersEnd, long End) Extent(MimeEntity entity) =>
        _entities.TryGetValue(entity, out var o) ? (o.Start, o.HeadersEnd, o.End) : (0, 0, 0);

    // The header block of an entity: the blank line ends it; a part without one ends at its end.
    private static long HeaderBlockEnd(Offsets o) => o.HeadersEnd;

    private Offsets MessageOffsets(MimeMessage message) =>
        _messages.TryGetValue(message, out var o) ? o : new Offsets(0, message.Body is { } body && _entities.TryGetValue(body, out var b) ? b.HeadersEnd : Raw.Length, Raw.Length, 0);

    private byte[] Slice(long from, long to)
    {
        from = Math.Clamp(from, 0, Raw.Length);
        to = Math.Clamp(to, from, Raw.Length);
        return Raw[(int)from..(int)to];
    }

    /// <summary>The part numbered <paramref name="path"/> (RFC 3501 6.4.5: part 1 of a non-multipart message is its body).</summary>
    private MimeEntity? Part(IReadOnlyList<uint> path)
    {
        MimeEntity? entity = Message.Body;
        var bodyOfMessage = true;
        for (var i = 0; i < path.Count; i++)
        {
            if (i > 0 && entity is MessagePart { Message: { } inner })
            {
                entity = inner.Body;
                bodyOfMessage = true;
            }
            if (entity is Multipart multipart)
            {
                if (path[i] > multipart.Count) return null;
                entity = multipart[(int)path[i] - 1];
                bodyOfMessage = false;
            }
            else if (bodyOfMessage && path[i] == 1)
            {
                bodyOfMessage = false;
            }
            else
            {
                return null;
            }
        }
        return entity;
    }

    // RFC 3501 6.4.5: the matching (or not matching) header fields, then the blank line.
    private static byte[] HeaderFields(byte[] header, IReadOnlyList<string> names, bool keep)
    {
        var result = new MemoryStream();
        var position = 0;
        while (position < header.Length)
        {
            var end = position;
            do
            {
                var lf = Array.IndexOf(header, (byte)'\n', end);
                end = lf < 0 ? header.Length : lf + 1;
            }
            while (end < header.Length && header[end] is (byte)' ' or (byte)'\t');
            var colon = Array.IndexOf(header, (byte)':', position, end - position);
            if (colon > position)
            {
                var name = Encoding.ASCII.GetString(header, position, colon - position).TrimEnd();
                if (names.Any(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) == keep) result.Write(header, position, end - position);
            }
            position = end;
        }
        result.Write("\r\n"u8);
        return result.ToArray();
    }

    /// <summary>Writes the ENVELOPE (RFC 3501 7.4.2) of the message.</summary>
    public void WriteEnvelope(ImapResponse r) => WriteEnvelope(r, Message);

    private static void WriteEnvelope(ImapResponse r, MimeMessage m)
    {
        r.Raw("(").NString(Field(m, "Date")).Raw(" ").NString(Field(m, "Subject")).Raw(" ");
        WriteAddresses(r, m.From);
        r.Raw(" ");
        // RFC 3501 7.4.2: Sender and Reply-To default to From.
        WriteAddresses(r, Field(m, "Sender") is null ? m.From : m.Sender is { } s ? [s] : m.From);
        r.Raw(" ");
        WriteAddresses(r, Field(m, "Reply-To") is null ? m.From : m.ReplyTo);
        r.Raw(" ");
        WriteAddresses(r, m.To);
        r.Raw(" ");
        WriteAddresses(r, m.Cc);
        r.Raw(" ");
        WriteAddresses(r, m.Bcc);
        r.Raw(" ").NString(Field(m, "In-Reply-To")).Raw(" ").NString(Field(m, "Message-ID")).Raw(")");
    }

    // A header's value as sent, unfolded (RFC 5322 2.2.3); encoded words stay encoded, as in Dovecot.
    private static string? Field(MimeMessage m, string name)
    {
        var header = m.Headers.FirstOrDefault(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (header is null) return null;
        return Encoding.UTF8.GetString(header.RawValue).Replace("\r\n", "").Replace("\n", "").Trim();
    }

    private static void WriteAddresses(ImapResponse r, IEnumerable<InternetAddress> addresses)
    {
        var list = addresses.ToList();
        if (list.Count == 0)
        {
            r.Raw("NIL");
            return;
        }
        r.Raw("(");
        foreach (var address in list) WriteAddress(r, address);
        r.Raw(")");
    }

    private static void WriteAddress(ImapResponse r, InternetAddress address)
    {
        switch (address)
        {
            case MailboxAddress mailbox:
            {
                var at = mailbox.Address.LastIndexOf('@');
                var local = at < 0 ? mailbox.Address : mailbox.Address[..at];
                var domain = at < 0 ? null : mailbox.Address[(at + 1)..];
                r.Raw("(").NString(Phrase(mailbox.Name)).Raw(" NIL ").NString(local).Raw(" ").NString(domain).Raw(")");
                break;
            }
            case GroupAddress group:
                // RFC 3501 7.4.2: a group is a start marker with its name and an end marker.
                r.Raw("(NIL NIL ").NString(group.Name).Raw(" NIL)");
                foreach (var member in group.Members) WriteAddress(r, member);
                r.Raw("(NIL NIL NIL NIL)");
                break;
        }
    }

    private static string? Phrase(string? name) =>
        string.IsNullOrEmpty(name) ? null : name.All(char.IsAscii) ? name : Encoding.ASCII.GetString(Rfc2047.EncodePhrase(Encoding.UTF8, name));

    /// <summary>Writes BODYSTRUCTURE (with extension data) or BODY (without) for the message (RFC 3501 7.4.2).</summary>
    public void WriteBodyStructure(ImapResponse r, bool extensible) => WriteBody(r, Message.Body, extensible);

    private void WriteBody(ImapResponse r, MimeEntity? entity, bool extensible)
    {
        if (entity is Multipart multipart)
        {
            r.Raw("(");
            if (multipart.Count == 0) r.Raw("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
            foreach (var child in multipart) WriteBody(r, child, extensible);
            r.Raw(" ").String(multipart.ContentType.MediaSubtype.ToLowerInvariant());
            if (extensible)
            {
                r.Raw(" ");
                WriteParameters(r, multipart.ContentType);
                r.Raw(" ");
                WriteExtensions(r, multipart);
            }
            r.Raw(")");
            return;
        }
        if (entity is null)
        {
            r.Raw("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
            return;
        }
        var o = _entities.TryGetValue(entity, out var found) ? found : new Offsets(0, 0, 0, 0);
        var type = entity.ContentType;
        r.Raw("(").String(type.MediaType.ToLowerInvariant()).Raw(" ").String(type.MediaSubtype.ToLowerInvariant()).Raw(" ");
        WriteParameters(r, type);
        var encoding = entity.Headers[HeaderId.ContentTransferEncoding];
        r.Raw(" ").NString(entity.Headers[HeaderId.ContentId]?.Trim()).Raw(" ").NString(entity.Headers[HeaderId.ContentDescription]?.Trim()).Raw(" ")
            .String(string.IsNullOrWhiteSpace(encoding) ? "7bit" : encoding.Trim().ToLowerInvariant()).Raw(" ").Number(o.End - o.HeadersEnd);
        if (entity is MessagePart { Message: { } inner } && type.IsMimeType("message", "rfc822"))
        {
            r.Raw(" ");
            WriteEnvelope(r, inner);
            r.Raw(" ");
            WriteBody(r, inner.Body, extensible);
            r.Raw(" ").Number(o.Lines);
        }
        else if (type.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            r.Raw(" ").Number(o.Lines);
        }
        if (extensible)
        {
            r.Raw(" ").NString(entity.Headers[HeaderId.ContentMd5]?.Trim()).Raw(" ");
            WriteExtensions(r, entity);
        }
        r.Raw(")");
    }

    private static void WriteParameters(ImapResponse r, ContentType type)
    {
        var parameters = type.Parameters.Select(p => (p.Name, p.Value)).ToList();
        // RFC 2045 5.2: text without a charset is us-ascii; Dovecot says so in BODYSTRUCTURE, and so do we.
        if (type.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase) && !parameters.Any(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)))
            parameters.Insert(0, ("charset", "us-ascii"));
        if (parameters.Count == 0)
        {
            r.Raw("NIL");
            return;
        }
        r.Raw("(");
        for (var i = 0; i < parameters.Count; i++)
        {
            if (i > 0) r.Raw(" ");
            r.String(parameters[i].Name.ToLowerInvariant()).Raw(" ").String(parameters[i].Value);
        }
        r.Raw(")");
    }

    // body-ext: disposition, language, location (RFC 3501 9, RFC 2557).
    private static void WriteExtensions(ImapResponse r, MimeEntity entity)
    {
        if (entity.ContentDisposition is { } disposition)
        {
            r.Raw("(").String(disposition.Disposition.ToLowerInvariant()).Raw(" ");
            if (disposition.Parameters.Count == 0) r.Raw("NIL");
            else
            {
                r.Raw("(");
                var first = true;
                foreach (var p in disposition.Parameters)
                {
                    if (!first) r.Raw(" ");
                    first = false;
                    r.String(p.Name.ToLowerInvariant()).Raw(" ").String(p.Value);
                }
                r.Raw(")");
            }
            r.Raw(")");
        }
        else r.Raw("NIL");
        var language = entity.Headers[HeaderId.ContentLanguage];
        r.Raw(" ").NString(string.IsNullOrWhiteSpace(language) ? null : language.Trim());
        r.Raw(" ").NString(entity.ContentLocation?.ToString());
    }

    /// <summary>The decoded text of every text part, for SEARCH BODY and TEXT.</summary>
    public string BodyText()
    {
        var text = new StringBuilder();
        foreach (var part in Message.BodyParts.OfType<TextPart>())
        {
            try
            {
                text.Append(part.Text).Append('\n');
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or FormatException)
            {
                // A part in an unknown charset is searched as it is decoded by default.
            }
        }
        return text.ToString();
    }
}
