using System.Globalization;
using System.Net;

namespace MailOps.Dns;

/// <summary>Validates and normalises a mail domain name given by a user.</summary>
public static class MailDomainName
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <summary>Checks that <paramref name="text"/> is a DNS domain name fit for mail and returns it lower-case, in A-labels, without the trailing dot.</summary>
    /// <returns>True when valid; otherwise <paramref name="error"/> says why.</returns>
    public static bool TryNormalize(string? text, out string normalized, out string error)
    {
        normalized = "";
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = "The domain name is empty."; return false; }
        var name = text.Trim();
        if (name.Any(char.IsWhiteSpace)) { error = $"'{text}' contains white space."; return false; }
        if (name.EndsWith('.')) name = name[..^1];
        if (IPAddress.TryParse(name, out _) || (name.StartsWith('[') && name.EndsWith(']')))
        { error = $"'{text}' is an IP address, not a domain name."; return false; }
        if (name.Split('.').Any(l => l.Length == 0)) { error = $"'{text}' has an empty label."; return false; }
        if (name.Length > 253) { error = $"'{text}' is longer than 253 characters (RFC 1035 2.3.4)."; return false; }
        try { name = Idn.GetAscii(name).ToLowerInvariant(); }
        catch (ArgumentException e) { error = $"'{text}' is not a valid domain name: {e.Message}"; return false; }
        if (name.Length > 253) { error = $"'{text}' is longer than 253 characters (RFC 1035 2.3.4)."; return false; }
        var labels = name.Split('.');
        if (labels.Length < 2) { error = $"'{text}' is a single label; a mail domain needs at least two."; return false; }
        foreach (var label in labels)
        {
            if (label.Length > 63) { error = $"'{text}' has a label longer than 63 characters (RFC 1035 2.3.4)."; return false; }
            if (label.StartsWith('-') || label.EndsWith('-')) { error = $"'{text}' has a label that starts or ends with a hyphen."; return false; }
        }
        if (labels[^1].All(char.IsAsciiDigit)) { error = $"'{text}' ends in a numeric label."; return false; }
        normalized = name;
        return true;
    }
}
