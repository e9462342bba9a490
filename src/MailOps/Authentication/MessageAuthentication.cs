using System.Net;
using MailOps.Dns;
using MimeKit;

namespace MailOps.Authentication;

/// <summary>SPF, DKIM and DMARC verdicts for one received message, and the Authentication-Results header that reports them.</summary>
/// <param name="Spf">check_host() for the MAIL FROM domain, or the HELO name for the null sender.</param>
/// <param name="IsHeloIdentity">True when SPF checked the HELO name because MAIL FROM was null.</param>
/// <param name="Dkim">One verdict per DKIM-Signature.</param>
/// <param name="Dmarc">The DMARC verdict.</param>
public sealed record MessageAuthenticationResult(SpfVerdict Spf, bool IsHeloIdentity, IReadOnlyList<DkimVerdict> Dkim, DmarcVerdict Dmarc)
{
    /// <summary>The value of an Authentication-Results header (RFC 8601 2.2) by <paramref name="authServId"/>, folded one method a line.</summary>
    public string HeaderValue(string authServId)
    {
        var methods = new List<string>
        {
            // RFC 8601 2.7.2: smtp.mailfrom for the MAIL FROM identity, smtp.helo for the HELO identity.
            IsHeloIdentity ? $"spf={Spf.Keyword} smtp.helo={Spf.Domain}" : $"spf={Spf.Keyword} smtp.mailfrom={Spf.Sender}",
        };
        if (Dkim.Count == 0) methods.Add("dkim=none");
        foreach (var d in Dkim)
            methods.Add($"dkim={d.Result}" + (d.Reason is null || d.Result == "pass" ? "" : $" ({Comment(d.Reason)})")
                + (d.Domain is null ? "" : $" header.d={d.Domain}") + (d.Selector is null ? "" : $" header.s={d.Selector}"));
        var dmarc = $"dmarc={Dmarc.Keyword}" + (Dmarc.Policy is null ? "" : $" (p={Dmarc.Policy})");
        if (Dmarc.FromDomain.Length > 0) dmarc += $" header.from={Dmarc.FromDomain}";
        methods.Add(dmarc);
        return authServId + ";\r\n\t" + string.Join(";\r\n\t", methods);
    }

    // RFC 5322 3.2.2: a comment may not hold unbalanced parentheses or line breaks.
    private static string Comment(string text) => string.Concat(text.Select(c => c is '(' or ')' or '\\' ? '\'' : char.IsControl(c) ? ' ' : c));
}

/// <summary>
/// Authenticates a received message: SPF (<see cref="SpfEvaluator"/>), every DKIM signature (<see cref="DkimVerification"/>)
/// and DMARC (<see cref="DmarcEvaluator"/>), all asking DNS through one <see cref="MailDnsResolver"/>.
/// </summary>
public sealed class MessageAuthentication(MailDnsResolver resolver)
{
    private readonly SpfEvaluator _spf = new(resolver);
    private readonly DkimVerification _dkim = new(resolver);

    /// <summary>The DMARC evaluator (its pct sampling may be replaced for tests).</summary>
    public DmarcEvaluator Dmarc { get; init; } = new(resolver);

    /// <summary>Authenticates <paramref name="message"/>, received from <paramref name="client"/> with this HELO and MAIL FROM.</summary>
    public async Task<MessageAuthenticationResult> AuthenticateAsync(IPAddress client, string helo, string mailFrom, MimeMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var spfTask = _spf.CheckSenderAsync(client, mailFrom, helo, cancellationToken);
        var dkimTask = _dkim.VerifyAsync(message, cancellationToken);
        var spf = await spfTask.ConfigureAwait(false);
        var dkim = await dkimTask.ConfigureAwait(false);
        // RFC 7489 6.6.1: the From: header must name exactly one author for DMARC to apply.
        var authors = message.Headers.Count(h => h.Id == HeaderId.From) == 1 ? message.From.Mailboxes.ToArray() : [];
        var fromDomain = authors.Length == 1 ? authors[0].Domain : null;
        var dmarc = await Dmarc.EvaluateAsync(fromDomain, spf, dkim.Where(d => d.Result == "pass").Select(d => d.Domain!), cancellationToken).ConfigureAwait(false);
        return new MessageAuthenticationResult(spf, mailFrom.Length == 0, dkim, dmarc);
    }
}
