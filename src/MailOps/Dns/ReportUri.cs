namespace MailOps.Dns;

/// <summary>
/// A report destination of a DMARC <c>rua</c>/<c>ruf</c> tag (RFC 7489 6.2) or a TLS-RPT <c>rua</c> tag (RFC 8460 3):
/// a URI, for DMARC optionally followed by <c>!size</c>.
/// </summary>
public sealed class ReportUri
{
    /// <summary>The URI as written, size limit included.</summary>
    public required string Text { get; init; }
    /// <summary>The scheme in lower case ("mailto", "https", ...).</summary>
    public required string Scheme { get; init; }
    /// <summary>For <c>mailto:</c>, the mailbox (local@domain); otherwise null.</summary>
    public string? Mailbox { get; init; }
    /// <summary>The domain reports go to: the mailbox's domain or the URL's host, lower case.</summary>
    public string? Domain { get; init; }
    /// <summary>The DMARC size limit after "!" (e.g. "10m"), or null.</summary>
    public string? SizeLimit { get; init; }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Reads one report URI; <paramref name="allowSizeLimit"/> accepts the DMARC <c>!size</c> suffix (RFC 7489 6.2).</summary>
    /// <returns>True when the text is a URI; <paramref name="error"/> says why not otherwise. The caller decides which schemes it accepts.</returns>
    public static bool TryParse(string text, bool allowSizeLimit, out ReportUri uri, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        uri = null!;
        error = "";
        var body = text.Trim();
        string? size = null;
        var bang = body.LastIndexOf('!');
        if (allowSizeLimit && bang >= 0)
        {
            size = body[(bang + 1)..];
            // RFC 7489 6.2: "!" 1*DIGIT [ "k" / "m" / "g" / "t" ]
            var digits = size.Length > 0 && "kmgtKMGT".Contains(size[^1]) ? size[..^1] : size;
            if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) { error = $"'{text}' has a size limit '!{size}' that is not digits with an optional k, m, g or t."; return false; }
            body = body[..bang];
        }
        var colon = body.IndexOf(':');
        if (colon <= 0 || !char.IsAsciiLetter(body[0]) || !body[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        { error = $"'{text}' is not a URI (no scheme such as mailto:)."; return false; }
        var scheme = body[..colon].ToLowerInvariant();
        var rest = body[(colon + 1)..];
        if (body.Any(char.IsWhiteSpace)) { error = $"'{text}' contains white space."; return false; }
        switch (scheme)
        {
            case "mailto":
            {
                // RFC 6068 2: mailto:addr-spec [ "?" hfields ]; reports go to the first address.
                var query = rest.IndexOf('?');
                var mailbox = Uri.UnescapeDataString(query >= 0 ? rest[..query] : rest);
                var at = mailbox.LastIndexOf('@');
                if (at <= 0 || at == mailbox.Length - 1) { error = $"'{text}' has no mailbox (local@domain) after mailto:."; return false; }
                if (!MailDomainName.TryNormalize(mailbox[(at + 1)..], out var domain, out var why)) { error = $"'{text}': {why}"; return false; }
                uri = new ReportUri { Text = text.Trim(), Scheme = scheme, Mailbox = mailbox[..at] + "@" + domain, Domain = domain, SizeLimit = size };
                return true;
            }
            case "https" or "http":
            {
                if (!Uri.TryCreate(body, UriKind.Absolute, out var url) || url.Host.Length == 0) { error = $"'{text}' is not a valid {scheme} URL."; return false; }
                uri = new ReportUri { Text = text.Trim(), Scheme = scheme, Domain = url.Host.ToLowerInvariant(), SizeLimit = size };
                return true;
            }
            default:
                if (rest.Length == 0) { error = $"'{text}' has nothing after the scheme."; return false; }
                uri = new ReportUri { Text = text.Trim(), Scheme = scheme, SizeLimit = size };
                return true;
        }
    }
}
