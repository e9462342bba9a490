using MailOps.Dkim;
using MailOps.Dns;
using MimeKit;
using MimeKit.Cryptography;

namespace MailOps.Authentication;

/// <summary>Verifies every DKIM-Signature of a message with MimeKit's <see cref="DkimVerifier"/>, keys found through <see cref="MailDnsResolver"/>.</summary>
public sealed class DkimVerification(MailDnsResolver resolver)
{
    private readonly DkimVerifier _verifier = new(new DkimDnsKeyLocator(resolver));

    /// <summary>One verdict per DKIM-Signature header, in header order; empty when the message is not signed.</summary>
    public async Task<IReadOnlyList<DkimVerdict>> VerifyAsync(MimeMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var verdicts = new List<DkimVerdict>();
        foreach (var header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature))
        {
            var tags = TagList.Parse(header.Value, TagListRules.PolicyRecord);
            string? domain = tags["d"], selector = tags["s"], algorithm = tags["a"];
            if (domain is null || selector is null)
            {
                // RFC 6376 6.1.1: a signature missing required tags is PERMFAIL; RFC 8601 2.7.1 reports it as neutral.
                verdicts.Add(new DkimVerdict("neutral", domain, selector, algorithm, "signature lacks d= or s="));
                continue;
            }
            try
            {
                var ok = await _verifier.VerifyAsync(message, header, cancellationToken).ConfigureAwait(false);
                verdicts.Add(new DkimVerdict(ok ? "pass" : "fail", domain, selector, algorithm, ok ? null : "signature did not verify"));
            }
            catch (DkimKeyLookupException e)
            {
                verdicts.Add(new DkimVerdict(e.IsTemporary ? "temperror" : "permerror", domain, selector, algorithm, e.Message));
            }
            catch (FormatException e)
            {
                verdicts.Add(new DkimVerdict("neutral", domain, selector, algorithm, e.Message));
            }
        }
        return verdicts;
    }
}
