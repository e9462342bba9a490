using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Search;
using MailKit.Security;
using MailOps.Authentication;
using MimeKit;

namespace MailOps.Probes;

/// <summary>
/// Like Exchange's Test-Mailflow: sends a uniquely marked message through an SMTP server (with <see cref="SmtpProbe"/>) and
/// fetches it back over IMAP or POP3 (with MailKit), reporting the latency and the trace and authentication headers.
/// </summary>
public static class MailFlowTest
{
    /// <summary>The header that marks the test message.</summary>
    public const string MarkerHeader = "X-MailOps-Flow";

    /// <summary>Runs the test; never throws for what the servers do, the result tells.</summary>
    public static async Task<MailFlowResult> RunAsync(MailFlowOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var marker = Guid.NewGuid().ToString("N");
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From));
        message.To.Add(MailboxAddress.Parse(options.To));
        message.Subject = $"MailOps mail-flow test {marker}";
        message.Date = DateTimeOffset.Now;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(MailboxAddress.Parse(options.From).Domain);
        message.Headers.Add(MarkerHeader, marker);
        message.Body = new TextPart("plain") { Text = $"This message tests mail flow from {options.SmtpServer} to {options.MailboxServer}; it may be deleted.\n" };
        var result = new MailFlowResult
        {
            Marker = marker, MessageId = message.MessageId, SmtpServer = options.SmtpServer, MailboxServer = options.MailboxServer, Protocol = options.Protocol,
            SentAt = DateTimeOffset.UtcNow,
        };
        result.Send = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = options.SmtpServer, Port = options.SmtpPort, Tls = options.SmtpTls, Credential = options.SmtpCredential,
            From = options.From, To = [options.To], Send = true, Message = message, SkipCertificateCheck = options.SkipCertificateCheck,
            TrustedRoots = options.TrustedRoots,
        }, cancellationToken).ConfigureAwait(false);
        if (!result.Send.Succeeded)
        {
            result.Result = MailFlowOutcome.SendFailed;
            result.Error = $"sending failed at {result.Send.Result}: {result.Send.Error}";
            return result;
        }

        MimeMessage? found = null;
        var deadline = DateTime.UtcNow + options.Timeout;
        try
        {
            while (found is null)
            {
                found = options.Protocol == MailFetchProtocol.Imap
                    ? await FetchImapAsync(options, marker, cancellationToken).ConfigureAwait(false)
                    : await FetchPop3Async(options, marker, cancellationToken).ConfigureAwait(false);
                if (found is not null) break;
                if (DateTime.UtcNow >= deadline)
                {
                    result.Result = MailFlowOutcome.NotReceived;
                    result.Error = $"the message did not arrive within {options.Timeout.TotalSeconds:0.#} s";
                    return result;
                }
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or MailKit.ProtocolException or MailKit.CommandException or System.Security.Authentication.AuthenticationException or MailKit.Security.AuthenticationException or SslHandshakeException)
        {
            result.Result = MailFlowOutcome.FetchFailed;
            result.Error = $"{options.Protocol} fetch from {options.MailboxServer} failed: {e.Message}";
            return result;
        }
        using (found)
        {
            result.ReceivedAt = DateTimeOffset.UtcNow;
            result.ReceivedChain = found.Headers.Where(h => h.Id == HeaderId.Received).Select(h => Unfold(h.Value)).ToArray();
            result.AuthenticationResults = found.Headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => Unfold(h.Value)).ToArray();
            result.DkimSignaturePresent = found.Headers.Contains(HeaderId.DkimSignature);
            if (result.DkimSignaturePresent && options.Resolver is not null)
                result.Dkim = await new DkimVerification(options.Resolver).VerifyAsync(found, cancellationToken).ConfigureAwait(false);
        }
        result.Result = MailFlowOutcome.Success;
        return result;
    }

    private static async Task<MimeMessage?> FetchImapAsync(MailFlowOptions options, string marker, CancellationToken cancellationToken)
    {
        using var client = new ImapClient { Timeout = 30_000, ServerCertificateValidationCallback = Validator(options) };
        await client.ConnectAsync(options.MailboxServer, options.MailboxPort != 0 ? options.MailboxPort : ImapProbe.DefaultPort(options.MailboxTls), SocketOptions(options.MailboxTls), cancellationToken).ConfigureAwait(false);
        await client.AuthenticateAsync(options.MailboxCredential, cancellationToken).ConfigureAwait(false);
        var inbox = client.Inbox;
        await inbox.OpenAsync(options.KeepMessage ? FolderAccess.ReadOnly : FolderAccess.ReadWrite, cancellationToken).ConfigureAwait(false);
        var uids = await inbox.SearchAsync(SearchQuery.HeaderContains(MarkerHeader, marker), cancellationToken).ConfigureAwait(false);
        MimeMessage? message = null;
        if (uids.Count > 0)
        {
            message = await inbox.GetMessageAsync(uids[0], cancellationToken).ConfigureAwait(false);
            if (!options.KeepMessage)
            {
                await inbox.AddFlagsAsync(uids, MessageFlags.Deleted, true, cancellationToken).ConfigureAwait(false);
                await inbox.ExpungeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        await client.DisconnectAsync(true, cancellationToken).ConfigureAwait(false);
        return message;
    }

    private static async Task<MimeMessage?> FetchPop3Async(MailFlowOptions options, string marker, CancellationToken cancellationToken)
    {
        // RFC 1939 4: the maildrop is locked and fixed at login, so each look is a new session.
        using var client = new Pop3Client { Timeout = 30_000, ServerCertificateValidationCallback = Validator(options) };
        await client.ConnectAsync(options.MailboxServer, options.MailboxPort != 0 ? options.MailboxPort : Pop3Probe.DefaultPort(options.MailboxTls), SocketOptions(options.MailboxTls), cancellationToken).ConfigureAwait(false);
        await client.AuthenticateAsync(options.MailboxCredential, cancellationToken).ConfigureAwait(false);
        MimeMessage? message = null;
        for (var i = client.Count - 1; i >= 0 && message is null; i--)
        {
            var headers = await client.GetMessageHeadersAsync(i, cancellationToken).ConfigureAwait(false);
            if (headers[MarkerHeader] != marker) continue;
            message = await client.GetMessageAsync(i, cancellationToken).ConfigureAwait(false);
            if (!options.KeepMessage) await client.DeleteMessageAsync(i, cancellationToken).ConfigureAwait(false);
        }
        await client.DisconnectAsync(true, cancellationToken).ConfigureAwait(false);
        return message;
    }

    private static SecureSocketOptions SocketOptions(MailTlsMode tls) => tls switch
    {
        MailTlsMode.None => SecureSocketOptions.None,
        MailTlsMode.StartTls => SecureSocketOptions.StartTls,
        MailTlsMode.Implicit => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    /// <summary>Accepts a certificate the same way the probes judge one: trusted (by the given roots) and naming the host.</summary>
    private static RemoteCertificateValidationCallback Validator(MailFlowOptions options) => (_, certificate, _, _) =>
    {
        if (options.SkipCertificateCheck) return true;
        if (certificate is null) return false;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var details = MailTlsDetails.Create(SslProtocols.None, "", leaf, options.MailboxServer, null, options.TrustedRoots);
        return details.ChainValid && details.HostnameMatch;
    };

    // RFC 5322 2.2.3: unfolding removes the CRLF before folding white space; runs of white space read as one space.
    private static string Unfold(string value) => string.Join(' ', value.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
