namespace MailOps.Probes;

/// <summary>An SMTP reply: the three-digit code, the enhanced status code when present (RFC 3463) and the text of every line.</summary>
public sealed class SmtpReply
{
    /// <summary>The reply code, e.g. 250.</summary>
    public int Code { get; init; }
    /// <summary>The enhanced status code of the first line, e.g. 2.1.0, or null (RFC 2034 3).</summary>
    public string? EnhancedCode { get; init; }
    /// <summary>The text of each line, after the code and separator.</summary>
    public IReadOnlyList<string> Lines { get; init; } = [];
    /// <summary>The lines joined with spaces.</summary>
    public string Text => string.Join(" ", Lines);
    /// <summary>2xx.</summary>
    public bool IsPositive => Code is >= 200 and < 300;
    /// <summary>3xx.</summary>
    public bool IsIntermediate => Code is >= 300 and < 400;

    /// <summary>Reads the enhanced status code at the start of a reply line (RFC 3463 2: class.subject.detail).</summary>
    public static string? EnhancedCodeOf(int code, string text)
    {
        var space = text.IndexOf(' ');
        var first = space < 0 ? text : text[..space];
        var parts = first.Split('.');
        if (parts.Length != 3 || parts[0] != (code / 100).ToString(System.Globalization.CultureInfo.InvariantCulture)) return null;
        return parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)) ? first : null;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Code} {Text}";
}
