using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MailOps.Dns;

/// <summary>A parsed SPF record (RFC 7208 4.5, 12): its terms and every syntax error found, each with its position.</summary>
public sealed class SpfRecord
{
    private const string Version = "v=spf1";

    private SpfRecord(string text, IReadOnlyList<SpfTerm> terms, IReadOnlyList<SpfSyntaxError> errors)
    {
        Text = text;
        Terms = terms;
        Errors = errors;
    }

    /// <summary>The record text as parsed.</summary>
    public string Text { get; }
    /// <summary>The terms after <c>v=spf1</c>, in order; terms with errors are left out.</summary>
    public IReadOnlyList<SpfTerm> Terms { get; }
    /// <summary>The syntax errors; a record with any is a permerror (RFC 7208 4.6).</summary>
    public IReadOnlyList<SpfSyntaxError> Errors { get; }
    /// <summary>True when the record parsed without error.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>The <c>all</c> mechanism, or null when the record has none.</summary>
    public SpfTerm? All => Terms.FirstOrDefault(t => !t.IsModifier && t.Name == "all");
    /// <summary>The <c>redirect</c> modifier, or null.</summary>
    public SpfTerm? Redirect => Terms.FirstOrDefault(t => t.IsModifier && t.Name == "redirect");

    /// <summary>True when a TXT record is an SPF record: it begins with exactly <c>v=spf1</c> followed by a space or its end (RFC 7208 4.5).</summary>
    public static bool IsSpf(string txt)
    {
        ArgumentNullException.ThrowIfNull(txt);
        return txt.StartsWith(Version, StringComparison.OrdinalIgnoreCase) && (txt.Length == Version.Length || txt[Version.Length] == ' ');
    }

    /// <summary>Parses an SPF record; never throws for bad syntax, which ends up in <see cref="Errors"/>.</summary>
    public static SpfRecord Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<SpfTerm>();
        var errors = new List<SpfSyntaxError>();
        if (!IsSpf(text))
        {
            errors.Add(new SpfSyntaxError(0, text.Split(' ')[0], "the record does not begin with v=spf1", "RFC 7208 4.5"));
            return new SpfRecord(text, terms, errors);
        }
        // RFC 7208 12: terms = *( 1*SP ( directive / modifier ) ); split on spaces, remembering where each term starts.
        var i = Version.Length;
        while (i < text.Length)
        {
            if (text[i] == ' ') { i++; continue; }
            var start = i;
            while (i < text.Length && text[i] != ' ') i++;
            var term = ParseTerm(text[start..i], start, errors);
            if (term is not null) terms.Add(term);
        }
        // RFC 7208 6: redirect and exp may each appear at most once.
        foreach (var name in new[] { "redirect", "exp" })
        {
            foreach (var dup in terms.Where(t => t.IsModifier && t.Name == name).Skip(1))
                errors.Add(new SpfSyntaxError(dup.Position, dup.Text, $"the {name} modifier appears more than once", "RFC 7208 6"));
        }
        return new SpfRecord(text, terms, errors.OrderBy(e => e.Position).ToArray());
    }

    private static SpfTerm? ParseTerm(string term, int position, List<SpfSyntaxError> errors)
    {
        SpfTerm? Error(string message, string reference = "RFC 7208 4.6")
        {
            errors.Add(new SpfSyntaxError(position, term, message, reference));
            return null;
        }

        // State 1: an optional qualifier.
        var i = 0;
        SpfQualifier? qualifier = term[0] switch
        {
            '+' => SpfQualifier.Pass,
            '-' => SpfQualifier.Fail,
            '~' => SpfQualifier.SoftFail,
            '?' => SpfQualifier.Neutral,
            _ => null,
        };
        if (qualifier is not null) i++;
        // State 2: the name, ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (RFC 7208 12).
        if (i >= term.Length || !char.IsAsciiLetter(term[i]))
            return qualifier is null && !char.IsAsciiLetter(term[0])
                ? Error($"'{term[0]}' is not a qualifier (+ - ~ ?) nor the start of a mechanism", "RFC 7208 4.6.2")
                : Error("a qualifier must be followed by a mechanism", "RFC 7208 4.6.2");
        var nameStart = i;
        while (i < term.Length && (char.IsAsciiLetterOrDigit(term[i]) || term[i] is '-' or '_' or '.')) i++;
        var name = term[nameStart..i].ToLowerInvariant();

        // State 3: what follows the name decides between modifier and mechanism.
        if (i < term.Length && term[i] == '=')
        {
            if (qualifier is not null) return Error("a modifier takes no qualifier", "RFC 7208 6");
            var value = term[(i + 1)..];
            if (name is "redirect" or "exp")
            {
                var domainError = CheckDomainSpec(value, allowExpLetters: false);
                if (domainError is not null) return Error($"{name}={value}: {domainError}", value.Contains('%') ? "RFC 7208 7.1" : "RFC 7208 6");
                return new SpfTerm { Text = term, Position = position, IsModifier = true, Name = name, Value = value, DomainSpec = value };
            }
            // RFC 7208 6: unknown modifiers are ignored, but must still be well formed.
            var macroError = CheckMacroString(value, allowExpLetters: false);
            if (macroError is not null) return Error($"{name}=: {macroError}", "RFC 7208 7.1");
            return new SpfTerm { Text = term, Position = position, IsModifier = true, Name = name, Value = value };
        }
        if (i < term.Length && term[i] is not ':' and not '/')
            return Error($"unexpected '{term[i]}' after '{term[..i]}'");

        var argument = i < term.Length && term[i] == ':' ? term[(i + 1)..] : null;
        var suffix = i < term.Length ? term[(i + (argument is null ? 0 : 1))..] : "";
        var mechanism = new SpfTerm
        {
            Text = term, Position = position, IsModifier = false, Qualifier = qualifier ?? SpfQualifier.Pass, Name = name, Value = suffix,
        };
        switch (name)
        {
            case "all":
                return suffix.Length > 0 ? Error("all takes no argument") : mechanism;
            case "include" or "exists":
            {
                if (argument is null) return Error($"{name} needs a domain: {name}:<domain>");
                var domainError = CheckDomainSpec(argument, allowExpLetters: false);
                return domainError is not null ? Error($"{name}:{argument}: {domainError}", argument.Contains('%') ? "RFC 7208 7.1" : "RFC 7208 4.6")
                    : mechanism with { DomainSpec = argument };
            }
            case "ptr":
            {
                if (argument is null) return suffix.Length > 0 ? Error("ptr takes no prefix length") : mechanism;
                var domainError = CheckDomainSpec(argument, allowExpLetters: false);
                return domainError is not null ? Error($"ptr:{argument}: {domainError}") : mechanism with { DomainSpec = argument };
            }
            case "a" or "mx":
            {
                var (domain, cidr) = SplitDualCidr(argument ?? suffix);
                if (argument is null && domain.Length > 0) return Error($"unexpected '{domain}' after {name}");
                if (argument is not null)
                {
                    var domainError = CheckDomainSpec(domain, allowExpLetters: false);
                    if (domainError is not null) return Error($"{name}:{domain}: {domainError}", domain.Contains('%') ? "RFC 7208 7.1" : "RFC 7208 4.6");
                }
                if (!TryParseDualCidr(cidr, out var v4, out var v6, out var cidrError)) return Error(cidrError);
                return mechanism with { DomainSpec = argument is null ? null : domain, Ip4PrefixLength = v4, Ip6PrefixLength = v6 };
            }
            case "ip4" or "ip6":
            {
                if (argument is null || argument.Length == 0) return Error($"{name} needs a network: {name}:<address>[/<prefix>]");
                var slash = argument.IndexOf('/');
                var network = slash < 0 ? argument : argument[..slash];
                var family = name == "ip4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                // RFC 7208 5.6: ip4-network is a dotted quad, not any form IPAddress.Parse accepts.
                var isAddress = IPAddress.TryParse(network, out var address) && address.AddressFamily == family
                    && (name == "ip6" || network.Split('.').Length == 4);
                if (!isAddress) return Error($"'{network}' is not an {(name == "ip4" ? "IPv4" : "IPv6")} address", "RFC 7208 5.6");
                int? prefix = null;
                if (slash >= 0)
                {
                    var max = name == "ip4" ? 32 : 128;
                    if (!TryParsePrefix(argument[(slash + 1)..], max, out var length))
                        return Error($"'/{argument[(slash + 1)..]}' is not a prefix length from 0 to {max}", "RFC 7208 5.6");
                    prefix = length;
                }
                return name == "ip4" ? mechanism with { Ip4PrefixLength = prefix } : mechanism with { Ip6PrefixLength = prefix };
            }
            default:
                // RFC 7208 5: an unknown mechanism is a permerror (unlike an unknown modifier).
                return Error($"unknown mechanism '{name}'", "RFC 7208 5");
        }
    }

    /// <summary>Splits <c>domain/24//64</c> into the domain and the dual-cidr suffix: the first '/' after which only prefix lengths follow.</summary>
    private static (string Domain, string Cidr) SplitDualCidr(string text)
    {
        for (var slash = text.IndexOf('/'); slash >= 0; slash = text.IndexOf('/', slash + 1))
        {
            if (IsDualCidr(text[slash..])) return (text[..slash], text[slash..]);
        }
        return (text, "");
    }

    private static bool IsDualCidr(string text) => text.Length > 1 && text.All(c => c == '/' || char.IsAsciiDigit(c))
        && !text.Contains("///") && text.Count(c => c == '/') <= 3;

    private static bool TryParseDualCidr(string cidr, out int? v4, out int? v6, out string error)
    {
        v4 = null;
        v6 = null;
        error = "";
        if (cidr.Length == 0) return true;
        var rest = cidr;
        // RFC 7208 5.6: dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
        if (!rest.StartsWith("//", StringComparison.Ordinal))
        {
            var end = rest.IndexOf("//", StringComparison.Ordinal);
            var part = end < 0 ? rest[1..] : rest[1..end];
            if (!TryParsePrefix(part, 32, out var length)) { error = $"'/{part}' is not an IPv4 prefix length from 0 to 32"; return false; }
            v4 = length;
            rest = end < 0 ? "" : rest[end..];
        }
        if (rest.Length > 0)
        {
            var part = rest[2..];
            if (!TryParsePrefix(part, 128, out var length)) { error = $"'//{part}' is not an IPv6 prefix length from 0 to 128"; return false; }
            v6 = length;
        }
        return true;
    }

    // RFC 7208 12: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), no leading zeros.
    private static bool TryParsePrefix(string text, int max, out int length)
    {
        length = 0;
        if (text.Length is 0 or > 3 || !text.All(char.IsAsciiDigit) || (text.Length > 1 && text[0] == '0')) return false;
        length = int.Parse(text, CultureInfo.InvariantCulture);
        return length <= max;
    }

    /// <summary>Checks a domain-spec (RFC 7208 7.1): a macro-string ending in a top-level label or a macro; null when fine.</summary>
    internal static string? CheckDomainSpec(string text, bool allowExpLetters)
    {
        if (text.Length == 0) return "the domain is empty";
        var macroError = CheckMacroString(text, allowExpLetters);
        if (macroError is not null) return macroError;
        // domain-end = ( "." toplabel [ "." ] ) / macro-expand
        if (text.EndsWith('}')) return null;
        var name = text.EndsWith('.') ? text[..^1] : text;
        var dot = name.LastIndexOf('.');
        if (dot < 0) return $"'{text}' is not a fully qualified domain name";
        var top = name[(dot + 1)..];
        var isTopLabel = top.Length > 0 && top.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && char.IsAsciiLetterOrDigit(top[0]) && char.IsAsciiLetterOrDigit(top[^1])
            && (top.Any(char.IsAsciiLetter) || top.Contains('-'));
        if (!isTopLabel) return $"'{top}' is not a top-level domain label";
        if (name[..dot].Split('.').Any(l => l.Length == 0) && !name[..dot].Contains('%')) return $"'{text}' has an empty label";
        return null;
    }

    /// <summary>Checks a macro-string (RFC 7208 7.1) as a little state machine; null when fine.</summary>
    internal static string? CheckMacroString(string text, bool allowExpLetters)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '%')
            {
                // macro-literal = %x21-24 / %x26-7E
                if (c < 0x21 || c > 0x7E) return $"character '{c}' is not allowed at {i}";
                i++;
                continue;
            }
            if (i + 1 >= text.Length) return "'%' at the end: a macro needs %{...}, %%, %_ or %-";
            var next = text[i + 1];
            if (next is '%' or '_' or '-') { i += 2; continue; }
            if (next != '{') return $"bad macro '%{next}': use %{{...}}, %%, %_ or %-";
            var close = text.IndexOf('}', i + 2);
            if (close < 0) return "macro '%{' is not closed with '}'";
            var body = text[(i + 2)..close];
            var error = CheckMacroBody(body, allowExpLetters);
            if (error is not null) return $"bad macro '%{{{body}}}': {error}";
            i = close + 1;
        }
        return null;
    }

    // macro-expand = "%{" macro-letter transformers *delimiter "}"; transformers = *DIGIT [ "r" ]
    private static string? CheckMacroBody(string body, bool allowExpLetters)
    {
        if (body.Length == 0) return "no macro letter";
        var letter = char.ToLowerInvariant(body[0]);
        if ("slodiphv".IndexOf(letter) < 0 && !(allowExpLetters && "crt".IndexOf(letter) >= 0))
            return "crt".IndexOf(letter) >= 0 ? $"'{body[0]}' is allowed only in exp text" : $"'{body[0]}' is not a macro letter";
        var i = 1;
        while (i < body.Length && char.IsAsciiDigit(body[i])) i++;
        if (i > 1 && int.Parse(body[1..i], CultureInfo.InvariantCulture) == 0) return "zero labels kept";
        if (i < body.Length && body[i] is 'r' or 'R') i++;
        for (; i < body.Length; i++)
        {
            if (".-+,/_=".IndexOf(body[i]) < 0) return $"'{body[i]}' is not a delimiter (. - + , / _ =)";
        }
        return null;
    }
}
