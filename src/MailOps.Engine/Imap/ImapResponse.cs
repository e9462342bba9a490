using System.Globalization;
using System.Text;

namespace MailOps.Engine.Imap;

/// <summary>
/// One server response being built, with RFC 3501 4's string forms: an atom or number as text, a string quoted when it
/// can be and as a literal when it holds a line end, a quote character needing care, or 8-bit octets.
/// </summary>
internal sealed class ImapResponse
{
    private readonly MemoryStream _bytes = new();

    /// <summary>The octets so far.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes.GetBuffer().AsMemory(0, (int)_bytes.Length);

    /// <summary>The length so far.</summary>
    public long Length => _bytes.Length;

    /// <summary>Appends <paramref name="text"/> as it is (atoms, parentheses, spaces).</summary>
    public ImapResponse Raw(string text)
    {
        _bytes.Write(Encoding.UTF8.GetBytes(text));
        return this;
    }

    /// <summary>Appends a number.</summary>
    public ImapResponse Number(long value) => Raw(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Appends octets as they are.</summary>
    public ImapResponse Raw(ReadOnlySpan<byte> bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    /// <summary>Appends a string: quoted when every octet allows it, else a literal.</summary>
    public ImapResponse String(string value) => String(Encoding.UTF8.GetBytes(value));

    /// <summary>Appends a string of octets: quoted when every octet allows it, else a literal.</summary>
    public ImapResponse String(ReadOnlySpan<byte> value)
    {
        if (value.Length > 1024 || value.ContainsAny((byte)'\r', (byte)'\n', (byte)0) || value.IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0)
            return Literal(value);
        _bytes.WriteByte((byte)'"');
        foreach (var b in value)
        {
            if (b is (byte)'"' or (byte)'\\') _bytes.WriteByte((byte)'\\');
            _bytes.WriteByte(b);
        }
        _bytes.WriteByte((byte)'"');
        return this;
    }

    /// <summary>Appends NIL for null, else the string.</summary>
    public ImapResponse NString(string? value) => value is null ? Raw("NIL") : String(value);

    /// <summary>Appends a literal: {n}CRLF and the octets (RFC 3501 4.3).</summary>
    public ImapResponse Literal(ReadOnlySpan<byte> value)
    {
        Raw(string.Create(CultureInfo.InvariantCulture, $"{{{value.Length}}}\r\n"));
        _bytes.Write(value);
        return this;
    }
}
