namespace MailOps.Dns;

/// <summary>An MTA-STS policy file as served at <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c> (RFC 8461 3.2).</summary>
public sealed class MtaStsPolicy
{
    /// <summary>The largest <c>max_age</c> allowed: about one year (RFC 8461 3.2).</summary>
    public const long MaxAgeLimit = 31557600;

    /// <summary>The <c>version</c> field; must be "STSv1".</summary>
    public string? Version { get; private set; }
    /// <summary>The <c>mode</c> field: enforce, testing or none.</summary>
    public string? Mode { get; private set; }
    /// <summary>The <c>max_age</c> field in seconds, or null when absent or not a number.</summary>
    public long? MaxAge { get; private set; }
    /// <summary>The <c>mx</c> patterns in order (a leading <c>*.</c> matches one label).</summary>
    public IReadOnlyList<string> MxPatterns => _mx;
    /// <summary>What is wrong with the file, one line each; empty when it is a valid policy.</summary>
    public IReadOnlyList<string> Errors => _errors;

    private readonly List<string> _mx = [];
    private readonly List<string> _errors = [];

    /// <summary>Reads a policy file; never throws, problems go to <see cref="Errors"/>.</summary>
    public static MtaStsPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var policy = new MtaStsPolicy();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        // RFC 8461 3.2: sts-policy-term = LF / CRLF; each line is "key: value".
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) { policy._errors.Add($"line {number} is not \"key: value\": '{line}'"); continue; }
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (key != "mx" && !seen.Add(key)) { policy._errors.Add($"line {number}: the field {key} appears twice"); continue; }
            switch (key)
            {
                case "version":
                    policy.Version = value;
                    if (value != "STSv1") policy._errors.Add($"version is '{value}', not STSv1");
                    break;
                case "mode":
                    policy.Mode = value;
                    if (value is not ("enforce" or "testing" or "none")) policy._errors.Add($"mode is '{value}', not enforce, testing or none");
                    break;
                case "max_age":
                    // RFC 8461 3.2: 1*10DIGIT, at most 31557600.
                    if (value.Length is > 0 and <= 10 && value.All(char.IsAsciiDigit)) policy.MaxAge = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    else policy._errors.Add($"max_age '{value}' is not a number of seconds");
                    if (policy.MaxAge > MaxAgeLimit) policy._errors.Add($"max_age {policy.MaxAge} is above the limit of {MaxAgeLimit} seconds");
                    break;
                case "mx":
                    if (IsPattern(value)) policy._mx.Add(value.ToLowerInvariant().TrimEnd('.'));
                    else policy._errors.Add($"mx '{value}' is not a host name or a *. wildcard");
                    break;
                // RFC 8461 3.2: other fields are extensions and are ignored.
            }
        }
        if (policy.Version is null) policy._errors.Add("the version field is missing");
        if (policy.Mode is null) policy._errors.Add("the mode field is missing");
        if (policy.MaxAge is null && !seen.Contains("max_age")) policy._errors.Add("the max_age field is missing");
        if (policy.Mode is "enforce" or "testing" && policy._mx.Count == 0) policy._errors.Add($"mode {policy.Mode} needs at least one mx field");
        return policy;
    }

    /// <summary>True when <paramref name="host"/> matches <paramref name="pattern"/>: exactly, or a <c>*.</c> wildcard standing for one leftmost label (RFC 8461 4.1).</summary>
    public static bool Matches(string pattern, string host)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(host);
        var p = pattern.TrimEnd('.').ToLowerInvariant();
        var h = host.TrimEnd('.').ToLowerInvariant();
        if (!p.StartsWith("*.", StringComparison.Ordinal)) return p == h;
        var dot = h.IndexOf('.');
        return dot > 0 && h[(dot + 1)..] == p[2..];
    }

    private static bool IsPattern(string value)
    {
        var name = value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value;
        return name.Length > 0 && !name.Contains('*') && MailDomainName.TryNormalize(name, out _, out _);
    }
}
