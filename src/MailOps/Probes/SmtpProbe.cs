using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.RegularExpressions;
using MailOps.Dns;
using MimeKit;

namespace MailOps.Probes;

/// <summary>
/// Probes an SMTP server the way swaks and an SMTP TLS audit do, with our own small client: greeting, EHLO, STARTTLS or
/// implicit TLS, AUTH, MAIL, RCPT, DATA/BDAT, each stage's replies and timings, a full transcript, the open-relay test and
/// the STARTTLS injection check.
/// </summary>
public static partial class SmtpProbe
{
    /// <summary>Probes every address of every MX host of <paramref name="domain"/> (RFC 5321 5.1), in preference order.</summary>
    /// <param name="domain">The mail domain.</param>
    /// <param name="options">The probe; <see cref="SmtpProbeOptions.Host"/> is replaced by each MX host and a resolver is required.</param>
    /// <param name="cancellationToken">Stops the probes.</param>
    public static async Task<IReadOnlyList<SmtpProbeResult>> ProbeMxAsync(string domain, SmtpProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var resolver = options.Resolver ?? throw new ArgumentException("An MX probe needs a resolver.", nameof(options));
        var set = await MailHostSet.LookupAsync(domain, resolver, cancellationToken).ConfigureAwait(false);
        if (set.MxLookup.Status == DnsLookupStatus.TempError)
            return [Failed(domain, domain, options.Port, SmtpProbeOutcome.Connect, $"MX lookup of {domain} failed: {set.MxLookup.Error}")];
        if (set.Hosts.Count == 0)
            return [Failed(domain, domain, options.Port, SmtpProbeOutcome.Connect, set.IsNullMx ? $"{domain} publishes a null MX: it accepts no mail (RFC 7505)" : $"{domain} has no MX and no address")];
        var results = new List<SmtpProbeResult>();
        foreach (var host in set.Hosts)
        {
            if (host.Addresses.Count == 0)
            {
                results.Add(Failed(host.Host, domain, options.Port, SmtpProbeOutcome.Connect, $"MX host {host.Host} has no address ({host.AddressStatus})"));
                continue;
            }
            foreach (var address in host.Addresses)
            {
                var each = Copy(options, host.Host, address, domain);
                results.Add(await ProbeAsync(each, cancellationToken).ConfigureAwait(false));
            }
        }
        return results;
    }

    /// <summary>Probes one server; never throws for what the server does, the result tells.</summary>
    public static async Task<SmtpProbeResult> ProbeAsync(SmtpProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var transcript = new List<ProbeTranscriptLine>();
        var result = new SmtpProbeResult { Server = options.Host, Domain = options.Domain, Port = options.Port, Address = options.Address };
        var dialogue = new SmtpProbeSession(options, result, clock, transcript);
        try
        {
            var address = options.Address ?? await ResolveAsync(options, cancellationToken).ConfigureAwait(false);
            result.Address = address;
            await dialogue.RunAsync(new IPEndPoint(address, options.Port), cancellationToken).ConfigureAwait(false);
            result.Result = SmtpProbeOutcome.Success;
        }
        catch (ProbeStageException e)
        {
            result.Result = e.Outcome;
            result.Error = e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            result.Result = SmtpProbeOutcome.Timeout;
            result.Error = $"no answer within {options.Timeout.TotalSeconds:0.#} s";
        }
        catch (SocketException e)
        {
            result.Result = dialogue.Connected ? dialogue.FailureOutcome : SmtpProbeOutcome.Connect;
            result.Error = e.Message;
        }
        catch (IOException e)
        {
            result.Result = dialogue.Connected ? dialogue.FailureOutcome : SmtpProbeOutcome.Connect;
            result.Error = e.Message;
        }
        catch (AuthenticationException e)
        {
            result.Result = SmtpProbeOutcome.Tls;
            result.Error = "TLS handshake failed: " + e.Message;
        }
        finally
        {
            await dialogue.DisposeAsync().ConfigureAwait(false);
        }
        if (options.TestStartTlsInjection && result.Ehlo is not null && (result.EhloBeforeTls ?? result.Ehlo).StartTls && result.Address is not null)
            result.StartTlsInjection = await StartTlsInjectionAsync(options, new IPEndPoint(result.Address, options.Port), clock, transcript, cancellationToken).ConfigureAwait(false);
        if (result.Tls is not null && options.Resolver is not null)
            await result.Tls.CheckDnsAsync(options.Resolver, options.Host, options.Port, options.Domain, options.MtaStsPort, options.MtaStsTrustedRoots, cancellationToken).ConfigureAwait(false);
        lock (transcript) result.Transcript = transcript.ToArray();
        return result;
    }

    private static Task<IPAddress> ResolveAsync(SmtpProbeOptions options, CancellationToken cancellationToken) =>
        ResolveAsync(options.Host, options.Resolver, cancellationToken);

    /// <summary>The address to connect to: an address literal as it is, else the first IPv4 (then IPv6) address of the host.</summary>
    internal static async Task<IPAddress> ResolveAsync(string name, MailDnsResolver? resolver, CancellationToken cancellationToken)
    {
        var host = name.Trim('[', ']');
        if (IPAddress.TryParse(host, out var literal)) return literal;
        IReadOnlyList<IPAddress> addresses;
        if (resolver is not null)
        {
            var (status, found, _, error) = await resolver.QueryAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            if (found.Count == 0) throw new ProbeStageException(SmtpProbeOutcome.Connect, $"{host} does not resolve ({status}{(error is null ? "" : ": " + error)})");
            addresses = found;
        }
        else
        {
            try { addresses = await System.Net.Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false); }
            catch (SocketException e) { throw new ProbeStageException(SmtpProbeOutcome.Connect, $"{host} does not resolve: {e.Message}"); }
        }
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ProbeStageException(SmtpProbeOutcome.Connect, $"{host} has no address");
    }

    /// <summary>
    /// CVE-2011-0411: sends STARTTLS and NOOP in one packet, then EHLO inside TLS. A server that answers the NOOP inside TLS
    /// (the first TLS reply is not the EHLO greeting) kept plain-text input across the handshake.
    /// </summary>
    private static async Task<bool?> StartTlsInjectionAsync(SmtpProbeOptions options, IPEndPoint endPoint, Stopwatch clock, List<ProbeTranscriptLine> transcript, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await ProbeConnection.ConnectAsync(endPoint, clock, options.Timeout, transcript, cancellationToken).ConfigureAwait(false);
            connection.Note("STARTTLS injection check (CVE-2011-0411)");
            if ((await SmtpProbeSession.ReadReplyAsync(connection, cancellationToken).ConfigureAwait(false)).Code != 220) return null;
            await connection.WriteLineAsync("EHLO " + options.EhloName, cancellationToken).ConfigureAwait(false);
            var before = await SmtpProbeSession.ReadReplyAsync(connection, cancellationToken).ConfigureAwait(false);
            if (before.Code != 250) return null;
            await connection.WriteLinesAsync(["STARTTLS", "NOOP"], cancellationToken).ConfigureAwait(false);
            var ready = await SmtpProbeSession.ReadReplyAsync(connection, cancellationToken).ConfigureAwait(false);
            // RFC 3207 4: the server must not answer the pipelined NOOP before the 220; a reply here is the plain-text answer.
            if (ready.Code != 220) return null;
            if (connection.Buffered > 0) return true;
            await connection.StartTlsAsync(options.Host, null, cancellationToken).ConfigureAwait(false);
            await connection.WriteLineAsync("EHLO " + options.EhloName, cancellationToken).ConfigureAwait(false);
            var first = await SmtpProbeSession.ReadReplyAsync(connection, cancellationToken).ConfigureAwait(false);
            var injected = first.Lines.FirstOrDefault() != before.Lines.FirstOrDefault();
            await connection.WriteLineAsync("QUIT", cancellationToken).ConfigureAwait(false);
            return injected;
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or ProbeStageException)
        {
            // A server that hangs up on pipelined input after STARTTLS did not answer it.
            return false;
        }
    }

    private static SmtpProbeResult Failed(string server, string domain, int port, SmtpProbeOutcome outcome, string error) =>
        new() { Server = server, Domain = domain, Port = port, Result = outcome, Error = error };

    private static SmtpProbeOptions Copy(SmtpProbeOptions o, string host, IPAddress address, string domain) => new()
    {
        Host = host, Port = o.Port, Address = address, Tls = o.Tls, EhloName = o.EhloName, Credential = o.Credential,
        AuthMechanism = o.AuthMechanism, From = o.From, To = o.To, Send = o.Send, Subject = o.Subject, Body = o.Body,
        Attachments = o.Attachments, Headers = o.Headers, Message = o.Message, QuitAfter = o.QuitAfter, TestRelay = o.TestRelay,
        RelayDomain = o.RelayDomain, TestStartTlsInjection = o.TestStartTlsInjection, Timeout = o.Timeout,
        SkipCertificateCheck = o.SkipCertificateCheck, TrustedRoots = o.TrustedRoots, Resolver = o.Resolver, Domain = domain,
        MtaStsPort = o.MtaStsPort, MtaStsTrustedRoots = o.MtaStsTrustedRoots,
    };

    /// <summary>The queue ID in a 250 reply to the message: Postfix's and ours "queued as ID", Exim's "id=ID".</summary>
    public static string? QueueIdOf(string replyText)
    {
        ArgumentNullException.ThrowIfNull(replyText);
        var match = QueueIdPattern().Match(replyText);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"(?:queued as|id=)\s*([A-Za-z0-9][A-Za-z0-9._-]*)", RegexOptions.IgnoreCase)]
    private static partial Regex QueueIdPattern();
}
