using System.Globalization;
using System.Text;

namespace MailOps.Engine.Imap;

/// <summary>
/// A state machine over the bytes of one command (RFC 3501 9, formal syntax): atoms, quoted strings, literals
/// <c>{n}</c> and <c>{n+}</c> (whose octets <see cref="ImapCommandReader"/> put in place), lists, numbers, sequence sets,
/// flags and dates. Every method throws <see cref="ImapSyntaxException"/> on input the grammar does not allow.
/// </summary>
internal sealed class ImapParser(byte[] command)
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private int _position;

    /// <summary>True when every byte has been read.</summary>
    public bool AtEnd => _position >= command.Length;

    /// <summary>The next byte, -1 at the end.</summary>
    public int Peek => AtEnd ? -1 : command[_position];

    /// <summary>Reads <paramref name="c"/> when it is next; true when it was.</summary>
    public bool TryChar(char c)
    {
        if (Peek != c) return false;
        _position++;
        return true;
    }

    /// <summary>Reads <paramref name="c"/>, which must be next.</summary>
    public void Expect(char c)
    {
        if (!TryChar(c)) throw new ImapSyntaxException(AtEnd ? $"Missing '{c}'." : $"Expected '{c}'.");
    }

    /// <summary>Reads the single space between arguments.</summary>
    public void Space()
    {
        if (!TryChar(' ')) throw new ImapSyntaxException(AtEnd ? "Missing argument." : "Expected a space.");
    }

    /// <summary>The bytes not read yet, for looking ahead.</summary>
    public byte[] Rest() => command[_position..];

    /// <summary>Checks that the command ends here.</summary>
    public void End()
    {
        if (!AtEnd) throw new ImapSyntaxException("Unexpected extra arguments.");
    }

    // RFC 3501 9: ATOM-CHAR is any CHAR except atom-specials: ( ) { SP CTL % * " \ ]
    private static bool IsAtomChar(int b) => b > 0x20 && b < 0x7f && b is not ('(' or ')' or '{' or '%' or '*' or '"' or '\\' or ']');

    private static bool IsAStringChar(int b) => IsAtomChar(b) || b == ']';

    /// <summary>The tag (RFC 3501 9: 1*&lt;any ASTRING-CHAR except "+"&gt;).</summary>
    public string Tag()
    {
        var start = _position;
        while (IsAStringChar(Peek) && Peek != '+') _position++;
        if (_position == start) throw new ImapSyntaxException("Missing tag.");
        return Encoding.ASCII.GetString(command, start, _position - start);
    }

    /// <summary>An atom: a command name, a keyword, a search key.</summary>
    public string Atom()
    {
        var start = _position;
        while (IsAtomChar(Peek)) _position++;
        if (_position == start) throw new ImapSyntaxException(AtEnd ? "Missing argument." : "Expected an atom.");
        return Encoding.ASCII.GetString(command, start, _position - start);
    }

    /// <summary>A fetch attribute or section word: letters, digits, '.' and '-' (RFC 3501 9, fetch-att).</summary>
    public string Word()
    {
        var start = _position;
        while (Peek is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-') _position++;
        if (_position == start) throw new ImapSyntaxException("Expected a fetch attribute.");
        return Encoding.ASCII.GetString(command, start, _position - start);
    }

    /// <summary>A number (RFC 3501 9: 1*DIGIT, unsigned 32-bit).</summary>
    public uint Number()
    {
        var start = _position;
        ulong value = 0;
        while (Peek is >= '0' and <= '9')
        {
            value = value * 10 + (uint)(command[_position++] - '0');
            if (value > uint.MaxValue) throw new ImapSyntaxException("Number too large.");
        }
        if (_position == start) throw new ImapSyntaxException("Expected a number.");
        return (uint)value;
    }

    /// <summary>A non-zero number (nz-number).</summary>
    public uint NonZeroNumber()
    {
        var n = Number();
        return n == 0 ? throw new ImapSyntaxException("Zero is not allowed here.") : n;
    }

    /// <summary>A quoted string or a literal (RFC 3501 4.3); its octets.</summary>
    public byte[] String()
    {
        if (Peek == '"') return Quoted();
        if (Peek == '{') return Literal();
        throw new ImapSyntaxException("Expected a string.");
    }

    /// <summary>An astring: an atom (']' allowed) or a string.</summary>
    public byte[] AString()
    {
        if (Peek is '"' or '{') return String();
        var start = _position;
        while (IsAStringChar(Peek)) _position++;
        if (_position == start) throw new ImapSyntaxException(AtEnd ? "Missing argument." : "Expected a string.");
        return command[start.._position];
    }

    /// <summary>An astring as UTF-8 text.</summary>
    public string AStringText() => Encoding.UTF8.GetString(AString());

    /// <summary>A list-mailbox (RFC 3501 9): list-chars, % and * included, or a string.</summary>
    public string ListMailbox()
    {
        if (Peek is '"' or '{') return Encoding.UTF8.GetString(String());
        var start = _position;
        while (IsAStringChar(Peek) || Peek is '%' or '*') _position++;
        if (_position == start) throw new ImapSyntaxException("Expected a mailbox pattern.");
        return Encoding.UTF8.GetString(command, start, _position - start);
    }

    private byte[] Quoted()
    {
        Expect('"');
        var value = new List<byte>();
        while (true)
        {
            if (AtEnd) throw new ImapSyntaxException("Unterminated quoted string.");
            var b = command[_position++];
            if (b == '"') return [.. value];
            if (b is (byte)'\r' or (byte)'\n' or 0) throw new ImapSyntaxException("Line end in a quoted string.");
            if (b == '\\')
            {
                // RFC 3501 9: quoted-specials are the only characters a backslash may escape.
                if (Peek is not ('"' or '\\')) throw new ImapSyntaxException("Bad escape in a quoted string.");
                b = command[_position++];
            }
            value.Add(b);
        }
    }

    /// <summary>APPEND's message: a string, or a literal8 <c>~{n}</c> that may hold any octet (RFC 3516 4.4).</summary>
    public byte[] MessageLiteral() => TryChar('~') ? Literal() : String();

    private byte[] Literal()
    {
        Expect('{');
        var length = Number();
        TryChar('+');
        Expect('}');
        if (!TryChar('\r') || !TryChar('\n')) throw new ImapSyntaxException("A literal's length must end the line.");
        if (command.Length - _position < length) throw new ImapSyntaxException("Literal shorter than announced.");
        var value = command[_position..(_position + (int)length)];
        _position += (int)length;
        return value;
    }

    /// <summary>A sequence set; "$" is not offered (SEARCHRES is not advertised).</summary>
    public ImapSequenceSet SequenceSet()
    {
        var ranges = new List<(uint, uint)>();
        do
        {
            var from = SequenceNumber();
            var to = TryChar(':') ? SequenceNumber() : from;
            ranges.Add((from, to));
        }
        while (TryChar(','));
        return new ImapSequenceSet(ranges);
    }

    private uint SequenceNumber() => TryChar('*') ? ImapSequenceSet.Star : NonZeroNumber();

    /// <summary>True when a sequence set starts here (a digit or "*").</summary>
    public bool AtSequenceSet => Peek is '*' or (>= '0' and <= '9');

    /// <summary>A flag (RFC 3501 9): "\" atom for system flags, an atom for keywords.</summary>
    public string Flag()
    {
        if (TryChar('\\'))
        {
            if (TryChar('*')) return "\\*";
            return "\\" + Atom();
        }
        return Atom();
    }

    /// <summary>A parenthesized list of flags, or (for STORE) a bare list of them.</summary>
    public List<string> FlagList(bool parenthesesOptional = false)
    {
        var flags = new List<string>();
        var open = TryChar('(');
        if (!open && !parenthesesOptional) throw new ImapSyntaxException("Expected a flag list.");
        if (open && TryChar(')')) return flags;
        do flags.Add(Flag());
        while (TryChar(' '));
        if (open) Expect(')');
        return flags;
    }

    /// <summary>A date (RFC 3501 9: date-text, quoted or not): d-Mon-yyyy.</summary>
    public DateOnly Date()
    {
        var quoted = TryChar('"');
        var day = (int)Number();
        Expect('-');
        var month = Month();
        Expect('-');
        var year = (int)Number();
        if (quoted) Expect('"');
        try
        {
            return new DateOnly(year, month, day);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ImapSyntaxException("Invalid date.");
        }
    }

    /// <summary>A date-time (RFC 3501 9): "dd-Mon-yyyy hh:mm:ss +zzzz", the day may start with a space.</summary>
    public DateTimeOffset DateTime()
    {
        Expect('"');
        TryChar(' ');
        var day = (int)Number();
        Expect('-');
        var month = Month();
        Expect('-');
        var year = (int)Number();
        Space();
        var hour = (int)Number();
        Expect(':');
        var minute = (int)Number();
        Expect(':');
        var second = (int)Number();
        Space();
        var sign = Peek == '-' ? -1 : Peek == '+' ? 1 : throw new ImapSyntaxException("Expected a time zone.");
        _position++;
        var zone = (int)Number();
        Expect('"');
        try
        {
            return new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.FromMinutes(sign * (zone / 100 * 60 + zone % 100)));
        }
        catch (ArgumentException)
        {
            throw new ImapSyntaxException("Invalid date-time.");
        }
    }

    private int Month()
    {
        if (command.Length - _position < 3) throw new ImapSyntaxException("Expected a month.");
        var name = Encoding.ASCII.GetString(command, _position, 3);
        var index = Array.FindIndex(Months, m => m.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (index < 0) throw new ImapSyntaxException("Expected a month.");
        _position += 3;
        return index + 1;
    }

    /// <summary>Formats an INTERNALDATE (RFC 3501 9, date-time) as IMAP writes it.</summary>
    public static string FormatDateTime(DateTimeOffset value)
    {
        var zone = value.Offset;
        var sign = zone < TimeSpan.Zero ? '-' : '+';
        zone = zone.Duration();
        return string.Create(CultureInfo.InvariantCulture,
            $"\"{value.Day:00}-{Months[value.Month - 1]}-{value.Year:0000} {value.Hour:00}:{value.Minute:00}:{value.Second:00} {sign}{zone.Hours:00}{zone.Minutes:00}\"");
    }
}
