using System.Text.RegularExpressions;
using MailOps.Hosts;

namespace MailOps.Config;

/// <summary>
/// Reads a Dovecot configuration on a host through doveconf(1): the settings changed from the defaults
/// (<c>doveconf -n</c>) or all of them (<c>doveconf -a</c>), sections flattened into names.
/// </summary>
public static partial class DovecotConfiguration
{
    /// <summary>The settings dovecot.conf changes; with <paramref name="includeDefaults"/> every setting, each saying whether it is a default.</summary>
    /// <param name="host">Where doveconf runs.</param>
    /// <param name="configPath">The dovecot.conf to read (<c>doveconf -c</c>); null for the host's default.</param>
    /// <param name="includeDefaults">Also the settings left at their defaults.</param>
    /// <param name="cancellationToken">Stops the commands.</param>
    /// <exception cref="HostCommandException">doveconf failed.</exception>
    public static async Task<IReadOnlyList<DovecotSetting>> GetSettingsAsync(
        HostConnection host, string? configPath, bool includeDefaults, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var (source, changed) = Parse(await host.RunForOutputAsync(Doveconf(configPath, "-n"), cancellationToken).ConfigureAwait(false));
        if (!includeDefaults) return [.. changed.Select(s => Setting(s.Key, s.Value, isDefault: false))];
        var changedNames = changed.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var (_, all) = Parse(await host.RunForOutputAsync(Doveconf(configPath, "-a"), cancellationToken).ConfigureAwait(false));
        return [.. all.Select(s => Setting(s.Key, s.Value, !changedNames.Contains(s.Key)))];

        DovecotSetting Setting(string name, string value, bool isDefault) => new()
        {
            Name = name,
            Value = value,
            IsDefault = isDefault,
            Source = source ?? configPath,
            ComputerName = host.ComputerName,
        };
    }

    /// <summary>
    /// Parses doveconf output: <c>key = value</c> lines inside <c>type [name] {</c> ... <c>}</c> sections, flattened
    /// to <c>type name/key</c>; returns the config path from doveconf's first comment line too.
    /// </summary>
    internal static (string? Source, IReadOnlyList<KeyValuePair<string, string>> Settings) Parse(string text)
    {
        string? source = null;
        var sections = new List<string>();
        var settings = new List<KeyValuePair<string, string>>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                if (source is null && Header().Match(line) is { Success: true } header) source = header.Groups[1].Value;
                continue;
            }
            if (line == "}")
            {
                if (sections.Count > 0) sections.RemoveAt(sections.Count - 1);
                continue;
            }
            var equals = line.IndexOf(" =", StringComparison.Ordinal);
            if (line.EndsWith('{') && (equals < 0 || line.IndexOf('{') < equals))
            {
                var header = line[..^1].Trim();
                var space = header.IndexOf(' ');
                sections.Add(space < 0 ? header : header[..space] + " " + Unquote(header[(space + 1)..].Trim()));
                continue;
            }
            if (equals <= 0) continue;
            var value = line[(equals + 2)..].Trim();
            settings.Add(new(string.Join('/', sections.Append(line[..equals].Trim())), Unquote(value)));
        }
        return (source, settings);
    }

    // doveconf quotes a value or section name with leading or trailing spaces: " imap pop3".
    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"'
            ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal)
            : value;

    private static HostCommand Doveconf(string? configPath, string option) =>
        new("doveconf", configPath is null ? [option] : ["-c", configPath, option]);

    // The first line: "# 2.3.19.1 (9b53102964): /etc/dovecot/dovecot.conf".
    [GeneratedRegex(@"^# \d[\w.]* \([0-9a-f]+\): (.+)$")]
    private static partial Regex Header();
}
