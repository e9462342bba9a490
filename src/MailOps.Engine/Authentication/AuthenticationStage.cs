using System.Net;
using System.Text;
using MailOps.Authentication;
using MailOps.Dns;
using MailOps.Engine.Configuration;
using MimeKit;

namespace MailOps.Engine.Authentication;

/// <summary>
/// The stage between an SMTP session and the queue: at the end of DATA, mail received on the MTA listener from an
/// untrusted client gets SPF, DKIM and DMARC verdicts in an Authentication-Results header (RFC 8601) and DMARC's
/// disposition; mail from authenticated clients and mynetworks gets DKIM signatures for its From: domain.
/// </summary>
public sealed class AuthenticationStage
{
    private readonly string _hostName;
    private readonly MessageAuthentication _authentication;
    private readonly DkimSigning _signing;
    private readonly DmarcRejectAction _rejectAction;

    /// <summary>A stage reporting as <paramref name="hostName"/> (the authserv-id), asking DNS through <paramref name="resolver"/>.</summary>
    public AuthenticationStage(string hostName, MailDnsResolver resolver, IEnumerable<MailDkimKeyConfig> keys, DmarcRejectAction rejectAction, Func<int>? dmarcSample = null)
    {
        _hostName = hostName;
        _authentication = new MessageAuthentication(resolver) { Dmarc = new DmarcEvaluator(resolver) { Sample = dmarcSample ?? (() => Random.Shared.Next(100)) } };
        _signing = new DkimSigning(keys);
        _rejectAction = rejectAction;
    }

    /// <summary>Decides for one message whose content (our Received: header first) is <paramref name="content"/>.</summary>
    /// <param name="content">The message as it will be queued.</param>
    /// <param name="client">The SMTP client's address.</param>
    /// <param name="helo">The EHLO/HELO name.</param>
    /// <param name="mailFrom">The MAIL FROM address, empty for the null sender.</param>
    /// <param name="trusted">The client authenticated or is in mynetworks: sign, do not verify.</param>
    /// <param name="mtaListener">The message came in on the MTA listener (port 25), not submission.</param>
    /// <param name="cancellationToken">Cancels the DNS lookups.</param>
    public async Task<AuthenticationOutcome> ProcessAsync(Stream content, IPAddress client, string helo, string mailFrom, bool trusted, bool mtaListener, CancellationToken cancellationToken)
    {
        if (!trusted && !mtaListener) return AuthenticationOutcome.Nothing;
        // RFC 8601 5: a border MTA deletes Authentication-Results that claim its authserv-id before adding its own.
        var forged = mtaListener ? ForgedAuthenticationResults.Find(content, _hostName) : [];
        content.Position = 0;
        var outcome = await DecideAsync(content, client, helo, mailFrom, trusted, cancellationToken).ConfigureAwait(false);
        return forged.Count == 0 ? outcome : outcome with { ForgedHeaders = forged };
    }

    private async Task<AuthenticationOutcome> DecideAsync(Stream content, IPAddress client, string helo, string mailFrom, bool trusted, CancellationToken cancellationToken)
    {
        // Trusted mail is only signed: parse the whole of it only when its From: domain has a key.
        if (trusted && !await _signing.WouldSignAsync(content, cancellationToken).ConfigureAwait(false)) return AuthenticationOutcome.Nothing;
        content.Position = 0;
        MimeMessage message;
        try { message = await MimeMessage.LoadAsync(content, cancellationToken).ConfigureAwait(false); }
        catch (FormatException) { return AuthenticationOutcome.Nothing; }
        using (message)
        {
            if (trusted)
            {
                var signatures = _signing.Sign(message);
                return signatures.Length == 0 ? AuthenticationOutcome.Nothing : new AuthenticationOutcome(signatures, null, false, "dkim=signed");
            }

            var result = await _authentication.AuthenticateAsync(client, helo, mailFrom, message, cancellationToken).ConfigureAwait(false);
            var header = Encoding.UTF8.GetBytes($"Authentication-Results: {result.HeaderValue(_hostName)}\r\n");
            var summary = $"spf={result.Spf.Keyword} dkim={string.Join(",", result.Dkim.Select(d => d.Result).DefaultIfEmpty("none"))} dmarc={result.Dmarc.Keyword}";
            var dmarc = result.Dmarc;
            if (dmarc.Disposition == DmarcDisposition.Reject && _rejectAction == DmarcRejectAction.Reject)
                // RFC 7489 6.7: reject during the SMTP transaction, with a 5xy reply.
                return new AuthenticationOutcome(header, (550, "5.7.1", $"Email rejected per DMARC policy for {dmarc.FromDomain}"), false, summary) { Verdicts = result };
            if (dmarc.Disposition is DmarcDisposition.Reject or DmarcDisposition.Quarantine)
                return new AuthenticationOutcome(header, null, true, summary) { Verdicts = result };
            return new AuthenticationOutcome(header, null, false, summary) { Verdicts = result };
        }
    }
}
