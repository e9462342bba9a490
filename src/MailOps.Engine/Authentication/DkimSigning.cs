using MailOps.Engine.Configuration;
using MimeKit;
using MimeKit.Cryptography;

namespace MailOps.Engine.Authentication;

/// <summary>
/// Signs outgoing mail with every key configured for its From: domain (RSA and Ed25519 side by side, RFC 8463 3),
/// with MimeKit's <see cref="DkimSigner"/>, relaxed/relaxed canonicalization.
/// </summary>
public sealed class DkimSigning
{
    // RFC 6376 5.4.1: the headers worth signing; From is required, the others are signed when present.
    private static readonly HeaderId[] SignedHeaders =
    [
        HeaderId.From, HeaderId.Sender, HeaderId.ReplyTo, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId, HeaderId.To, HeaderId.Cc,
        HeaderId.MimeVersion, HeaderId.ContentType, HeaderId.ContentTransferEncoding, HeaderId.InReplyTo, HeaderId.References,
    ];

    private readonly ILookup<string, DkimSigner> _signers;

    /// <summary>Signers for <paramref name="keys"/>.</summary>
    public DkimSigning(IEnumerable<MailDkimKeyConfig> keys)
    {
        _signers = keys.ToLookup(k => k.Domain, k => new DkimSigner(k.PrivateKeyPath, k.Domain, k.Selector,
            k.KeyType == "ed25519" ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        }, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>True when keys are configured for <paramref name="domain"/>.</summary>
    public bool HasKeysFor(string domain) => _signers.Contains(domain);

    /// <summary>
    /// Whether <see cref="Sign"/> would sign the message in <paramref name="content"/>, read from its header section
    /// alone: signing needs the whole message parsed, and most mail from trusted clients has no key for its From: domain.
    /// </summary>
    public async Task<bool> WouldSignAsync(Stream content, CancellationToken cancellationToken)
    {
        if (_signers.Count == 0) return false;
        HeaderList headers;
        try
        {
            headers = await HeaderList.LoadAsync(content, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return false;
        }
        if (headers[HeaderId.From] is not { } from || !InternetAddressList.TryParse(from, out var addresses)) return false;
        var authors = addresses.Mailboxes.ToArray();
        return authors.Length == 1 && _signers.Contains(authors[0].Domain);
    }

    /// <summary>The DKIM-Signature header lines (CRLF) for <paramref name="message"/>, one per key of its From: domain; empty when it has none.</summary>
    public byte[] Sign(MimeMessage message)
    {
        var authors = message.From.Mailboxes.ToArray();
        if (authors.Length != 1 || !_signers.Contains(authors[0].Domain)) return [];
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        var output = new System.Text.StringBuilder();
        foreach (var signer in _signers[authors[0].Domain])
        {
            signer.Sign(format, message, SignedHeaders.Where(h => h == HeaderId.From || message.Headers.Contains(h)).ToArray());
            // Sign puts its header first; it is not in h=, so the next key signs the same content.
            var header = message.Headers[0];
            var value = System.Text.Encoding.ASCII.GetString(header.RawValue).Replace("\r\n", "\n").TrimEnd('\n').Replace("\n", "\r\n");
            output.Append(header.Field).Append(':').Append(value).Append("\r\n");
        }
        return System.Text.Encoding.ASCII.GetBytes(output.ToString());
    }
}
