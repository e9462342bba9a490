using System.Text.RegularExpressions;
using MailOps.Hosts;

namespace MailOps.Config;

/// <summary>
/// Reads and changes a Postfix configuration on a host through postconf(1): parameters (<c>postconf -n</c>,
/// <c>postconf</c>, <c>postconf -d</c>), master.cf services (<c>postconf -M</c>), single changes (<c>postconf -e</c>)
/// and <c>postfix reload</c>. Works the same over SSH and locally.
/// </summary>
public static partial class PostfixConfiguration
{
    /// <summary>
    /// The parameters main.cf sets (<c>postconf -n</c>); with <paramref name="includeDefaults"/> every parameter
    /// Postfix knows, each with its built-in default and whether main.cf leaves it there.
    /// </summary>
    /// <param name="host">Where postconf runs.</param>
    /// <param name="configDirectory">The configuration directory (<c>postconf -c</c>); null for the host's default.</param>
    /// <param name="includeDefaults">Also the parameters main.cf does not set.</param>
    /// <param name="cancellationToken">Stops the commands.</param>
    /// <exception cref="HostCommandException">postconf failed.</exception>
    public static async Task<IReadOnlyList<PostfixParameter>> GetParametersAsync(
        HostConnection host, string? configDirectory, bool includeDefaults, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var set = ParsePostconf(await host.RunForOutputAsync(Postconf(configDirectory, "-n"), cancellationToken).ConfigureAwait(false));
        var directory = await ConfigDirectoryAsync(host, configDirectory, cancellationToken).ConfigureAwait(false);
        var mainCf = directory.TrimEnd('/') + "/main.cf";
        var explicitNames = set.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        if (!includeDefaults)
            return [.. set.Select(p => Parameter(p.Key, p.Value, isDefault: false, defaultValue: null))];
        var all = ParsePostconf(await host.RunForOutputAsync(Postconf(configDirectory), cancellationToken).ConfigureAwait(false));
        var defaults = ParsePostconf(await host.RunForOutputAsync(Postconf(configDirectory, "-d"), cancellationToken).ConfigureAwait(false))
            .GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        return [.. all.Select(p => Parameter(p.Key, p.Value, !explicitNames.Contains(p.Key), defaults.GetValueOrDefault(p.Key)))];

        PostfixParameter Parameter(string name, string value, bool isDefault, string? defaultValue) => new()
        {
            Name = name,
            Value = value,
            IsDefault = isDefault,
            DefaultValue = defaultValue,
            Source = isDefault ? null : mainCf,
            ConfigDirectory = directory,
            ComputerName = host.ComputerName,
        };
    }

    /// <summary>One parameter's current value, whether main.cf sets it, and its default.</summary>
    /// <exception cref="ArgumentException">The name is not a parameter name.</exception>
    /// <exception cref="PostfixParameterUnknownException">Postfix has no such parameter.</exception>
    /// <exception cref="HostCommandException">postconf failed.</exception>
    public static async Task<PostfixParameter> GetParameterAsync(
        HostConnection host, string? configDirectory, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        CheckName(name);
        // postconf -d prints nothing (and a warning) for a name it does not know.
        var defaults = ParsePostconf(await host.RunForOutputAsync(Postconf(configDirectory, "-d", name), cancellationToken).ConfigureAwait(false));
        if (defaults.Count == 0) throw new PostfixParameterUnknownException(name, host.ComputerName);
        var set = ParsePostconf(await host.RunForOutputAsync(Postconf(configDirectory, "-n", name), cancellationToken).ConfigureAwait(false));
        var current = set.Count > 0 ? set : ParsePostconf(await host.RunForOutputAsync(Postconf(configDirectory, name), cancellationToken).ConfigureAwait(false));
        var directory = await ConfigDirectoryAsync(host, configDirectory, cancellationToken).ConfigureAwait(false);
        return new PostfixParameter
        {
            Name = name,
            Value = current.Count > 0 ? current[0].Value : defaults[0].Value,
            IsDefault = set.Count == 0,
            DefaultValue = defaults[0].Value,
            Source = set.Count == 0 ? null : directory.TrimEnd('/') + "/main.cf",
            ConfigDirectory = directory,
            ComputerName = host.ComputerName,
        };
    }

    /// <summary>
    /// Sets <paramref name="name"/> to <paramref name="value"/> in main.cf (<c>postconf -e</c>), then, with
    /// <paramref name="reload"/>, has the running Postfix read it (<c>postfix reload</c>). Returns the parameter as it is now.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a parameter name, or the value spans lines.</exception>
    /// <exception cref="PostfixParameterUnknownException">Postfix has no such parameter.</exception>
    /// <exception cref="HostCommandException">postconf or postfix reload failed.</exception>
    public static async Task<PostfixParameter> SetParameterAsync(
        HostConnection host, string? configDirectory, string name, string value, bool reload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(value);
        CheckName(name);
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            throw new ArgumentException($"The value for {name} spans lines; main.cf values are one logical line.", nameof(value));
        var known = ParsePostconf(await host.RunForOutputAsync(Postconf(configDirectory, "-d", name), cancellationToken).ConfigureAwait(false));
        if (known.Count == 0) throw new PostfixParameterUnknownException(name, host.ComputerName);
        await host.RunForOutputAsync(Postconf(configDirectory, "-e", $"{name}={value}"), cancellationToken).ConfigureAwait(false);
        if (reload)
        {
            string[] arguments = configDirectory is null ? ["reload"] : ["-c", configDirectory, "reload"];
            await host.RunForOutputAsync(new HostCommand("postfix", arguments), cancellationToken).ConfigureAwait(false);
        }
        return await GetParameterAsync(host, configDirectory, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The master.cf services (<c>postconf -M</c>), one object per service.</summary>
    /// <exception cref="HostCommandException">postconf failed.</exception>
    public static async Task<IReadOnlyList<PostfixService>> GetServicesAsync(
        HostConnection host, string? configDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var text = await host.RunForOutputAsync(Postconf(configDirectory, "-M"), cancellationToken).ConfigureAwait(false);
        var masterCf = (await ConfigDirectoryAsync(host, configDirectory, cancellationToken).ConfigureAwait(false)).TrimEnd('/') + "/master.cf";
        var services = new List<PostfixService>();
        foreach (var line in text.Split('\n'))
        {
            // master(5): eight columns, the last (the command) running to the end of the logical line.
            var fields = line.Split((char[])[' ', '\t'], 8, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8) continue;
            services.Add(new PostfixService
            {
                Service = fields[0],
                Type = fields[1],
                Private = fields[2],
                Unprivileged = fields[3],
                Chroot = fields[4],
                Wakeup = fields[5],
                MaxProcesses = fields[6],
                Command = WhiteSpace().Replace(fields[7].Trim(), " "),
                Source = masterCf,
                ComputerName = host.ComputerName,
            });
        }
        return services;
    }

    /// <summary>Parses postconf's <c>name = value</c> lines (a line <c>name =</c> is an empty value).</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> ParsePostconf(string text)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var equals = line.IndexOf(" =", StringComparison.Ordinal);
            if (equals <= 0 || char.IsWhiteSpace(line[0])) continue;
            var value = line[(equals + 2)..];
            parameters.Add(new(line[..equals], value.StartsWith(' ') ? value[1..] : value));
        }
        return parameters;
    }

    private static async Task<string> ConfigDirectoryAsync(HostConnection host, string? configDirectory, CancellationToken cancellationToken) =>
        configDirectory ?? (await host.RunForOutputAsync(Postconf(null, "-h", "config_directory"), cancellationToken).ConfigureAwait(false)).Trim();

    private static HostCommand Postconf(string? configDirectory, params string[] arguments) =>
        new("postconf", configDirectory is null ? arguments : ["-c", configDirectory, .. arguments]);

    // postconf(5): parameter names are letters, digits and underscores; anything else never reaches postconf.
    private static void CheckName(string name)
    {
        if (!ParameterName().IsMatch(name ?? ""))
            throw new ArgumentException($"'{name}' is not a Postfix parameter name (letters, digits, underscores).", nameof(name));
    }

    [GeneratedRegex("^[A-Za-z0-9_]+$")]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
