using System.Globalization;

namespace MailOps.Engine.Configuration;

/// <summary>
/// The smarthost all remote mail goes to (Postfix's relayhost): <c>[host]:port</c> connects to that host (no MX lookup,
/// as Postfix's brackets mean), <c>host</c> or <c>host:port</c> delivers to the MX hosts of <c>host</c>.
/// </summary>
/// <param name="Host">The host name or IP address, without brackets.</param>
/// <param name="Port">The TCP port; 25 when not given.</param>
/// <param name="MxLookup">False for the bracketed form: connect to <paramref name="Host"/> itself.</param>
public sealed record MailRelayHost(string Host, int Port, bool MxLookup)
{
    /// <summary>Parses <c>[host]:port</c>, <c>[host]</c>, <c>host:port</c> or <c>host</c>; null with a reason when it is none of them.</summary>
    public static MailRelayHost? Parse(string text, out string why)
    {
        why = "";
        var spec = text.Trim();
        var bracketed = spec.StartsWith('[');
        string host;
        var portText = "";
        if (bracketed)
        {
            var close = spec.IndexOf(']');
            if (close < 0) { why = $"'{text}' has no closing bracket; write [host]:port."; return null; }
            host = spec[1..close];
            var rest = spec[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':')) { why = $"'{text}': only ':port' may follow the bracket."; return null; }
                portText = rest[1..];
            }
        }
        else
        {
            var colon = spec.LastIndexOf(':');
            if (colon >= 0 && spec.IndexOf(':') != colon) { why = $"'{text}': an IPv6 address needs brackets, e.g. [::1]:25."; return null; }
            host = colon < 0 ? spec : spec[..colon];
            if (colon >= 0) portText = spec[(colon + 1)..];
        }
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '[' or ']' or '/')) { why = $"'{text}' has no valid host."; return null; }
        var port = 25;
        if (portText.Length > 0 && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        { why = $"port '{portText}' is out of range; it must be 1 to 65535."; return null; }
        return new MailRelayHost(host, port, !bracketed);
    }

    /// <inheritdoc />
    public override string ToString() => MxLookup ? (Port == 25 ? Host : $"{Host}:{Port}") : $"[{Host}]:{Port}";
}
