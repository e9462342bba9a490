namespace MailOps.Dns;

/// <summary>What the DKIM check found for one selector.</summary>
public sealed class DkimSelectorDetail
{
    /// <summary>The selector (empty when a record given with -DkimRecord was judged without one).</summary>
    public required string Selector { get; init; }
    /// <summary>The name looked up: <c>selector._domainkey.domain</c> (RFC 6376 3.6.2.1); null when no selector was given.</summary>
    public string? DnsName { get; init; }
    /// <summary>The key record judged (TXT strings joined), or null when none was found.</summary>
    public string? Record { get; init; }
    /// <summary>The key type: "rsa", "ed25519", or what <c>k=</c> says when unknown.</summary>
    public string? KeyType { get; init; }
    /// <summary>The key size in bits, when the key could be read.</summary>
    public int? KeyBits { get; init; }
    /// <summary>The record carries <c>t=y</c>.</summary>
    public bool Testing { get; init; }
    /// <summary>The record's <c>p=</c> is empty: the key is revoked.</summary>
    public bool Revoked { get; init; }
    /// <summary>The <c>h=</c> hash algorithms; empty when absent (any algorithm).</summary>
    public IReadOnlyList<string> HashAlgorithms { get; init; } = [];
    /// <summary>Whether the published key is the public half of the private key given; null when none was given or no key could be compared.</summary>
    public bool? MatchesPrivateKey { get; init; }
    /// <summary>The verdict of this selector: the worst of its findings.</summary>
    public MailDnsStatus Status { get; init; }
}
