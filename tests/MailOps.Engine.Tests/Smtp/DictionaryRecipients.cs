using MailOps.Engine.Policy;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>Local domains and recipients from a dictionary: the test stand-in for the real alias/user tables.</summary>
public sealed class DictionaryRecipients(IEnumerable<string> domains, IReadOnlyDictionary<string, string[]> addresses) : ILocalRecipients
{
    private readonly HashSet<string> _domains = new(domains, StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string[]> _addresses = new(addresses, StringComparer.OrdinalIgnoreCase);

    /// <summary>local.test with alice and bob; bob is an alias for bob and carol.</summary>
    public static DictionaryRecipients Standard { get; } = new(
        ["local.test"],
        new Dictionary<string, string[]>
        {
            ["alice@local.test"] = ["alice@local.test"],
            ["bob@local.test"] = ["bob@local.test", "carol@local.test"],
        });

    /// <inheritdoc/>
    public bool IsLocalDomain(string domain) => _domains.Contains(domain);

    /// <inheritdoc/>
    public IReadOnlyList<string>? Resolve(string address) => _addresses.TryGetValue(address, out var to) ? to : null;
}
