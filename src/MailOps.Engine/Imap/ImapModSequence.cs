namespace MailOps.Engine.Imap;

/// <summary>The mod-sequence numbers of RFC 7162 7 (formal syntax): 63-bit, unlike the 32-bit numbers of RFC 3501.</summary>
internal static class ImapModSequence
{
    /// <summary>The largest mod-sequence value (RFC 7162 7: mod-sequence-value, up to 2^63 - 1).</summary>
    public const ulong Largest = long.MaxValue;

    /// <summary>Reads a mod-sequence-value (1*DIGIT); with <paramref name="allowZero"/> a mod-sequence-valzer.</summary>
    public static ulong Parse(ImapParser p, bool allowZero)
    {
        ulong value = 0;
        var digits = 0;
        while (p.Peek is >= '0' and <= '9')
        {
            var digit = (ulong)(p.Peek - '0');
            p.TryChar((char)p.Peek);
            if (value > (Largest - digit) / 10) throw new ImapSyntaxException("Mod-sequence too large.");
            value = value * 10 + digit;
            digits++;
        }
        if (digits == 0) throw new ImapSyntaxException("Expected a mod-sequence.");
        if (value == 0 && !allowZero) throw new ImapSyntaxException("Zero is not a mod-sequence here.");
        return value;
    }
}
