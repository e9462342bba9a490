namespace MailOps.Dkim;

/// <summary>A DKIM key pair just created: where the private half is, and what to publish and configure for it.</summary>
public sealed class DkimKey
{
    /// <summary>The signing domain (d=), lower case, A-labels.</summary>
    public required string Domain { get; init; }
    /// <summary>The selector (s=) under which the public key is published.</summary>
    public required string Selector { get; init; }
    /// <summary>The key algorithm.</summary>
    public required DkimKeyAlgorithm Algorithm { get; init; }
    /// <summary>The key size in bits (the RSA modulus size; 256 for Ed25519).</summary>
    public required int KeySize { get; init; }
    /// <summary>The private key file (PEM, PKCS#8, mode 0600).</summary>
    public required string PrivateKeyPath { get; init; }
    /// <summary>True when the record carries <c>t=y</c>: receivers treat failures as if unsigned (RFC 6376 3.6.1).</summary>
    public bool Testing { get; init; }
    /// <summary>The base64 public key, the value of the record's <c>p=</c> tag.</summary>
    public required string PublicKey { get; init; }
    /// <summary>The name of the TXT record to publish: <c>selector._domainkey.domain</c> (RFC 6376 3.6.2.1).</summary>
    public required string DnsName { get; init; }
    /// <summary>The TXT record's text as one string, for a DNS provider's web form.</summary>
    public required string DnsValue { get; init; }
    /// <summary>The record in BIND zone file syntax, split into quoted strings of at most 255 bytes.</summary>
    public required string ZoneFileRecord { get; init; }
    /// <summary>The OpenDKIM KeyTable line: <c>selector._domainkey.domain domain:selector:/path/to/key</c>.</summary>
    public required string KeyTable { get; init; }
    /// <summary>The OpenDKIM SigningTable line (refile syntax): <c>*@domain selector._domainkey.domain</c>.</summary>
    public required string SigningTable { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{DnsName} IN TXT \"{DnsValue}\"";
}
