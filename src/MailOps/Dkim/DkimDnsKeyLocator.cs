using MailOps.Dns;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace MailOps.Dkim;

/// <summary>
/// Finds DKIM public keys for MimeKit's <see cref="DkimVerifier"/> at <c>selector._domainkey.domain</c> (RFC 6376 3.6.2.1),
/// asking through <see cref="MailDnsResolver"/>. A failed lookup throws <see cref="DkimKeyLookupException"/> saying whether
/// it was temporary, so the verdict can be temperror or permerror (RFC 6376 6.1.2).
/// </summary>
public sealed class DkimDnsKeyLocator(MailDnsResolver resolver) : DkimPublicKeyLocatorBase
{
    /// <inheritdoc />
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        var name = $"{selector}._domainkey.{domain}";
        var (lookup, texts) = await resolver.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (lookup.Status == DnsLookupStatus.TempError)
            throw new DkimKeyLookupException($"lookup of {name} failed ({lookup.Error})", temporary: true);
        var record = texts.FirstOrDefault(t => t.Contains("p=", StringComparison.Ordinal));
        if (record is null) throw new DkimKeyLookupException($"no key record at {name}", temporary: false);
        try { return GetPublicKey(record); }
        catch (Exception e) when (e is FormatException or ParseException or NotSupportedException or ArgumentException)
        {
            throw new DkimKeyLookupException($"the key record at {name} is unusable: {e.Message}", temporary: false);
        }
    }
}

/// <summary>A DKIM key could not be found or read.</summary>
public sealed class DkimKeyLookupException(string message, bool temporary) : Exception(message)
{
    /// <summary>True for a DNS failure that may go away (temperror), false for a missing or broken key (permerror).</summary>
    public bool IsTemporary { get; } = temporary;
}
