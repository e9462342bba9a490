using System.Globalization;

namespace MailOps.Probes;

/// <summary>The service extensions an EHLO reply announced (RFC 5321 4.1.1.1), parsed.</summary>
public sealed class SmtpEhlo
{
    /// <summary>The first line: the server's name and greeting text.</summary>
    public string Greeting { get; init; } = "";
    /// <summary>Every extension line as sent, e.g. "SIZE 10240000".</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [];
    /// <summary>The server's message size limit from SIZE (RFC 1870), 0 for no limit, null when SIZE is not announced.</summary>
    public long? Size { get; init; }
    /// <summary>The SASL mechanisms from AUTH (RFC 4954).</summary>
    public IReadOnlyList<string> AuthMechanisms { get; init; } = [];
    /// <summary>STARTTLS (RFC 3207).</summary>
    public bool StartTls { get; init; }
    /// <summary>PIPELINING (RFC 2920).</summary>
    public bool Pipelining { get; init; }
    /// <summary>CHUNKING: BDAT (RFC 3030).</summary>
    public bool Chunking { get; init; }
    /// <summary>BINARYMIME (RFC 3030).</summary>
    public bool BinaryMime { get; init; }
    /// <summary>SMTPUTF8 (RFC 6531).</summary>
    public bool SmtpUtf8 { get; init; }
    /// <summary>8BITMIME (RFC 6152).</summary>
    public bool EightBitMime { get; init; }
    /// <summary>DSN (RFC 3461).</summary>
    public bool Dsn { get; init; }
    /// <summary>ENHANCEDSTATUSCODES (RFC 2034).</summary>
    public bool EnhancedStatusCodes { get; init; }
    /// <summary>REQUIRETLS (RFC 8689).</summary>
    public bool RequireTls { get; init; }

    /// <summary>True when the keyword was announced (case-insensitive).</summary>
    public bool Has(string keyword) => Extensions.Any(e => Keyword(e).Equals(keyword, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses the lines of a 250 reply to EHLO: the first is the greeting, each further one an ehlo-line.</summary>
    public static SmtpEhlo Parse(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var extensions = lines.Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        bool Has(string k) => extensions.Any(e => Keyword(e).Equals(k, StringComparison.OrdinalIgnoreCase));
        string[] Params(string k) => extensions.Where(e => Keyword(e).Equals(k, StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)).ToArray();
        // Old servers announce "AUTH=LOGIN PLAIN" as well; both forms name mechanisms.
        var auth = extensions.Where(e => e.StartsWith("AUTH ", StringComparison.OrdinalIgnoreCase) || e.StartsWith("AUTH=", StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(m => m.ToUpperInvariant()).Distinct().ToArray();
        long? size = null;
        if (Has("SIZE")) size = long.TryParse(Params("SIZE").FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        return new SmtpEhlo
        {
            Greeting = lines.Count > 0 ? lines[0] : "",
            Extensions = extensions,
            Size = size,
            AuthMechanisms = auth,
            StartTls = Has("STARTTLS"),
            Pipelining = Has("PIPELINING"),
            Chunking = Has("CHUNKING"),
            BinaryMime = Has("BINARYMIME"),
            SmtpUtf8 = Has("SMTPUTF8"),
            EightBitMime = Has("8BITMIME"),
            Dsn = Has("DSN"),
            EnhancedStatusCodes = Has("ENHANCEDSTATUSCODES"),
            RequireTls = Has("REQUIRETLS"),
        };
    }

    private static string Keyword(string line)
    {
        var end = line.IndexOfAny([' ', '=']);
        return end < 0 ? line : line[..end];
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Extensions);
}
