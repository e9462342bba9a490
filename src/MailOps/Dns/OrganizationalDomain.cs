namespace MailOps.Dns;

/// <summary>
/// The organisational domain of RFC 7489 3.2: the public suffix plus one label. Without the Public Suffix List this
/// takes the last two labels, or three when the last two are one of a small built-in list of common multi-label public
/// suffixes (co.uk, com.au, co.jp, ...). Domains under other multi-label suffixes get an organisational domain one
/// label too short, which makes relaxed alignment too lenient for them.
/// </summary>
public static class OrganizationalDomain
{
    // A deliberately small excerpt of the Public Suffix List: second-level registries that sell to the public.
    private static readonly HashSet<string> MultiLabelSuffixes = new(StringComparer.Ordinal)
    {
        "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "ac.uk", "gov.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au",
        "co.nz", "net.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp",
        "com.br", "net.br", "org.br", "com.cn", "net.cn", "org.cn", "com.mx", "com.ar", "com.tr", "com.tw", "com.hk",
        "co.in", "net.in", "org.in", "co.za", "org.za", "co.kr", "or.kr", "com.sg", "com.my", "co.il", "com.ua",
    };

    /// <summary>The organisational domain of <paramref name="domain"/>, lower case, without the trailing dot.</summary>
    public static string Of(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var labels = domain.TrimEnd('.').ToLowerInvariant().Split('.');
        var keep = labels.Length >= 3 && MultiLabelSuffixes.Contains(string.Join('.', labels[^2..])) ? 3 : 2;
        return labels.Length <= keep ? string.Join('.', labels) : string.Join('.', labels[^keep..]);
    }
}
