using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailOps.Dns;
using MailOps.Engine.Configuration;
using MailOps.Engine.Logging;
using MailOps.Engine.Queue;
using MimeKit;
using Envelope = MailOps.Engine.Queue.Envelope;

namespace MailOps.Engine.Delivery;

/// <summary>
/// Delivers to other servers over SMTP, as Postfix's smtp(8): per destination domain the MX hosts in preference order
/// (or the implicit MX, RFC 5321 5.1; a null MX, RFC 7505, bounces at once), or the configured relay host; the next
/// host or address after a refused connection or a 4xx; opportunistic STARTTLS (or mandatory, per destination);
/// each recipient's own result (sent, deferred, bounced) on the recipient, logged in Postfix's format. Idle connections
/// are kept for a moment for the next message to the same host, and at most <see cref="RemoteDeliveryOptions.DestinationConcurrency"/>
/// deliveries run at once per destination.
/// </summary>
public sealed class RemoteDeliveryAgent : IAsyncDisposable
{
    private readonly RemoteDeliveryOptions _options;
    private readonly MailDnsResolver _resolver;
    private readonly MailLog? _log;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _destinations = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, ConcurrentBag<RemoteSmtpClient>> _idle = new(StringComparer.Ordinal);
    private long _sent;
    private long _connections;

    /// <summary>Creates the agent; <paramref name="resolver"/> does the MX and address lookups.</summary>
    public RemoteDeliveryAgent(RemoteDeliveryOptions options, MailDnsResolver resolver, MailLog? log = null)
    {
        _options = options;
        _resolver = resolver;
        _log = log;
    }

    /// <summary>Recipients accepted by remote servers so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>SMTP connections opened so far (fewer than transactions when connections are reused).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>
    /// Delivers the message to <paramref name="recipients"/> (all remote) and sets each one's status, last response,
    /// Remote-MTA and diagnostic. Never throws for delivery trouble: that is a recipient's deferral or bounce.
    /// </summary>
    /// <param name="envelope">The message's envelope.</param>
    /// <param name="openContent">Opens the stored content (our Received: header first).</param>
    /// <param name="recipients">The open remote recipients.</param>
    /// <param name="cancellationToken">Stops delivery (the recipients stay open).</param>
    public async Task DeliverAsync(Envelope envelope, Func<Stream> openContent, IReadOnlyList<EnvelopeRecipient> recipients, CancellationToken cancellationToken)
    {
        if (recipients.Count == 0) return;
        await using var content = openContent();
        // persistent: MimeKit reads the parts from the queue file as it sends them, so a big message is not held in memory.
        var message = await MimeMessage.LoadAsync(content, persistent: true, cancellationToken).ConfigureAwait(false);
        var destinations = _options.RelayHost is { } relay
            ? [new Destination(relay.Host, relay, recipients.ToList())]
            : recipients.GroupBy(r => DomainOf(r.Address), StringComparer.OrdinalIgnoreCase)
                .Select(g => new Destination(g.Key, null, g.ToList())).ToList();
        foreach (var destination in destinations)
        {
            var limit = _destinations.GetOrAdd(destination.Name, _ => new SemaphoreSlim(Math.Max(1, _options.DestinationConcurrency)));
            await limit.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await DeliverToDestinationAsync(envelope, message, destination, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                limit.Release();
            }
        }
    }

    private sealed record Destination(string Name, MailRelayHost? Relay, List<EnvelopeRecipient> Recipients);

    private sealed record Target(string Host, IPAddress Address, int Port)
    {
        public override string ToString() => $"{Host}[{Address}]:{Port}";
    }

    private async Task DeliverToDestinationAsync(Envelope envelope, MimeMessage message, Destination destination, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var route = await RouteAsync(destination, cancellationToken).ConfigureAwait(false);
        if (route.Failure is { } failure)
        {
            foreach (var recipient in destination.Recipients)
                Finish(envelope, recipient, failure.Permanent ? RecipientStatus.Bounced : RecipientStatus.Deferred, failure.Dsn, failure.Reason, null, null, "none", started, TimeSpan.Zero);
            return;
        }

        var pending = destination.Recipients.ToList();
        var policy = _options.TlsPolicyFor(destination.Name);
        (string Dsn, string Reason, string? RemoteMta, string? Diagnostic, string Relay) last = ("4.4.1", "no mail host could be reached", null, null, "none");
        foreach (var target in route.Targets)
        {
            if (pending.Count == 0) break;
            cancellationToken.ThrowIfCancellationRequested();
            var setupStarted = Stopwatch.GetTimestamp();
            RemoteSmtpClient client;
            bool reused;
            try
            {
                (client, reused) = await TakeClientAsync(target, policy, destination.Relay is not null, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
            catch (Exception e)
            {
                last = SessionFailure(target, e);
                continue;
            }
            var setup = Stopwatch.GetElapsedTime(setupStarted);
            var sendStarted = Stopwatch.GetTimestamp();
            var keep = false;
            try
            {
                var outcome = await SendAsync(client, envelope, message, pending, cancellationToken).ConfigureAwait(false);
                if (outcome.Lost && reused)
                {
                    // The server closed the idle connection we kept: the same host once more on a fresh one.
                    client.Dispose();
                    client = await OpenClientAsync(target, policy, destination.Relay is not null, cancellationToken).ConfigureAwait(false);
                    outcome = await SendAsync(client, envelope, message, pending, cancellationToken).ConfigureAwait(false);
                }
                var transmission = Stopwatch.GetElapsedTime(sendStarted);
                keep = !outcome.Lost && client.IsConnected;
                var relay = target.ToString();
                foreach (var recipient in pending.ToList())
                {
                    if (!outcome.Results.TryGetValue(recipient, out var result)) continue;
                    if (result.Status == RecipientStatus.Deferred)
                    {
                        // A 4xx for this recipient: the next MX host may take it (Postfix does the same).
                        last = (result.Dsn, result.Reason, target.Host, result.Diagnostic, relay);
                        continue;
                    }
                    pending.Remove(recipient);
                    Finish(envelope, recipient, result.Status, result.Dsn, result.Reason, target.Host, result.Diagnostic, relay, started, setup, transmission);
                }
                if (outcome.SessionFailure is { } sessionFailure) last = (sessionFailure.Dsn, sessionFailure.Reason, target.Host, sessionFailure.Diagnostic, relay);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { client.Dispose(); throw; }
            catch (Exception e)
            {
                last = SessionFailure(target, e);
            }
            finally
            {
                if (keep) ReturnClient(target, policy, client);
                else client.Dispose();
            }
        }
        foreach (var recipient in pending)
            Finish(envelope, recipient, RecipientStatus.Deferred, last.Dsn, last.Reason, last.RemoteMta, last.Diagnostic, last.Relay, started, TimeSpan.Zero);
    }

    private sealed record RecipientResult(RecipientStatus Status, string Dsn, string Reason, string? Diagnostic);

    private sealed record SendOutcome(Dictionary<EnvelopeRecipient, RecipientResult> Results, bool Lost, RecipientResult? SessionFailure);

    // One transaction: MAIL, RCPT for each pending recipient, DATA. Per-recipient replies come from the client's records.
    private async Task<SendOutcome> SendAsync(RemoteSmtpClient client, Envelope envelope, MimeMessage message, List<EnvelopeRecipient> pending, CancellationToken cancellationToken)
    {
        var results = new Dictionary<EnvelopeRecipient, RecipientResult>();
        var host = client.RemoteHost;
        client.Begin(envelope, pending);
        var sender = new MailboxAddress("", envelope.Sender);
        var mailboxes = pending.Select(r => new MailboxAddress("", r.Address)).ToList();
        try
        {
            var reply = await client.SendAsync(FormatOptions.Default, message, sender, mailboxes, cancellationToken).ConfigureAwait(false);
            client.LastUsed = DateTimeOffset.UtcNow;
            var text = $"250 {reply}".Trim();
            foreach (var recipient in client.Accepted)
                results[recipient] = new RecipientResult(RecipientStatus.Delivered, DsnOf(250, reply), text, null);
            AddRefused(client, host, results);
            return new SendOutcome(results, false, null);
        }
        catch (SmtpCommandException e) when (e.ErrorCode == SmtpErrorCode.RecipientNotAccepted && client.Accepted.Count == 0 && client.Refused.Count > 0)
        {
            client.LastUsed = DateTimeOffset.UtcNow;
            AddRefused(client, host, results);
            return new SendOutcome(results, !client.IsConnected, null);
        }
        catch (SmtpCommandException e)
        {
            // MAIL FROM refused: every recipient; DATA refused: the recipients accepted before it.
            var stage = e.ErrorCode == SmtpErrorCode.SenderNotAccepted ? "MAIL FROM" : "end of DATA";
            var code = (int)e.StatusCode;
            var diagnostic = $"{code} {e.Message}";
            var result = new RecipientResult(code >= 500 ? RecipientStatus.Bounced : RecipientStatus.Deferred, DsnOf(code, e.Message),
                $"host {host} said: {diagnostic} (in reply to {stage} command)", diagnostic);
            var affected = e.ErrorCode == SmtpErrorCode.SenderNotAccepted ? pending : client.Accepted;
            foreach (var recipient in affected) results[recipient] = result;
            if (e.ErrorCode != SmtpErrorCode.SenderNotAccepted) AddRefused(client, host, results);
            return new SendOutcome(results, !client.IsConnected, result);
        }
        catch (Exception e) when (e is IOException or ServiceNotConnectedException or SmtpProtocolException or SocketException)
        {
            // Lost mid-transaction: nothing is known to be delivered; the whole transaction is tried again (a duplicate
            // is possible when the connection broke after the final "." was sent, RFC 5321 6.1 accepts that).
            var result = new RecipientResult(RecipientStatus.Deferred, "4.4.2", $"lost connection with {host} while sending the message: {e.Message}", null);
            return new SendOutcome(results, true, result);
        }
    }

    private static void AddRefused(RemoteSmtpClient client, string host, Dictionary<EnvelopeRecipient, RecipientResult> results)
    {
        foreach (var (recipient, response) in client.Refused)
        {
            var code = (int)response.StatusCode;
            var diagnostic = $"{code} {response.Response}";
            results[recipient] = new RecipientResult(code >= 500 ? RecipientStatus.Bounced : RecipientStatus.Deferred, DsnOf(code, response.Response),
                $"host {host} said: {diagnostic} (in reply to RCPT TO command)", diagnostic);
        }
    }

    private static (string Dsn, string Reason, string? RemoteMta, string? Diagnostic, string Relay) SessionFailure(Target target, Exception e) => e switch
    {
        RemoteTlsRequiredException => ("4.7.4", $"TLS is required, but was not offered by host {target.Host}[{target.Address}]", target.Host, null, target.ToString()),
        SmtpCommandException c => (DsnOf((int)c.StatusCode, c.Message), $"host {target.Host}[{target.Address}] refused to talk to me: {(int)c.StatusCode} {c.Message}", target.Host, $"{(int)c.StatusCode} {c.Message}", target.ToString()),
        MailKit.Security.AuthenticationException a => ("4.7.0", $"SASL authentication failed; server {target.Host}[{target.Address}] said: {a.Message}", target.Host, null, target.ToString()),
        SslHandshakeException h => ("4.7.5", $"Cannot start TLS: handshake failure with {target.Host}[{target.Address}]: {h.Message}", target.Host, null, target.ToString()),
        SocketException s => ("4.4.1", $"connect to {target}: {SocketText(s)}", null, null, "none"),
        TimeoutException or OperationCanceledException => ("4.4.1", $"connect to {target}: Connection timed out", null, null, "none"),
        _ => ("4.4.2", $"lost connection with {target.Host}[{target.Address}]: {e.Message}", target.Host, null, target.ToString()),
    };

    private static string SocketText(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "Connection refused",
        SocketError.TimedOut => "Connection timed out",
        SocketError.HostUnreachable => "No route to host",
        SocketError.NetworkUnreachable => "Network is unreachable",
        _ => e.Message,
    };

    private sealed record RouteFailure(bool Permanent, string Dsn, string Reason);

    private sealed record Route(IReadOnlyList<Target> Targets, RouteFailure? Failure);

    // Where the destination's mail goes: the relay host, or the MX hosts (each address in turn), or why nowhere.
    private async Task<Route> RouteAsync(Destination destination, CancellationToken cancellationToken)
    {
        if (destination.Relay is { MxLookup: false } bracketed)
        {
            if (IPAddress.TryParse(bracketed.Host, out var literal)) return new Route([new Target(bracketed.Host, literal, bracketed.Port)], null);
            var (status, addresses, _, error) = await _resolver.QueryAddressesAsync(bracketed.Host, cancellationToken).ConfigureAwait(false);
            return AddressesOnly(bracketed.Host, bracketed.Port, status, addresses, error);
        }
        var domain = destination.Relay?.Host ?? destination.Name;
        var port = destination.Relay?.Port ?? _options.Port;
        var hosts = await MailHostSet.LookupAsync(domain, _resolver, cancellationToken).ConfigureAwait(false);
        if (hosts.MxLookup.Status == DnsLookupStatus.TempError)
            return new Route([], new RouteFailure(false, "4.4.3", $"Host or domain name not found. Name service error for name={domain} type=MX: Host not found, try again"));
        // RFC 7505 3: a domain with a null MX accepts no mail; 556 5.1.10 is the reply it defines.
        if (hosts.IsNullMx)
            return new Route([], new RouteFailure(true, "5.1.10", $"Domain {domain} does not accept mail (nullMX)"));
        if (hosts.MxLookup.Status == DnsLookupStatus.NxDomain)
            return new Route([], new RouteFailure(true, "5.4.4", $"Host or domain name not found. Name service error for name={domain} type=MX: Host not found"));
        var targets = hosts.Hosts.SelectMany(h => h.Addresses.Select(a => new Target(h.Host, a, port))).ToList();
        if (targets.Count > 0) return new Route(targets, null);
        var temporary = hosts.Hosts.FirstOrDefault(h => h.AddressStatus == DnsLookupStatus.TempError);
        return temporary is not null
            ? new Route([], new RouteFailure(false, "4.4.3", $"Host or domain name not found. Name service error for name={temporary.Host} type=A: Host not found, try again"))
            : new Route([], new RouteFailure(true, "5.4.4", $"Host or domain name not found. Name service error for name={(hosts.Hosts.FirstOrDefault()?.Host ?? domain)} type=A: Host not found"));
    }

    private static Route AddressesOnly(string host, int port, DnsLookupStatus status, IReadOnlyList<IPAddress> addresses, string? error) => status switch
    {
        DnsLookupStatus.Found => new Route(addresses.Select(a => new Target(host, a, port)).ToList(), null),
        DnsLookupStatus.TempError => new Route([], new RouteFailure(false, "4.4.3", $"Host or domain name not found. Name service error for name={host} type=A: {error ?? "Host not found, try again"}")),
        // A relay host that does not exist is a configuration mistake, not the recipient's: defer, as Postfix does.
        _ => new Route([], new RouteFailure(false, "4.4.4", $"Host or domain name not found. Name service error for name={host} type=A: Host not found")),
    };

    private static string CacheKey(Target target, MailTlsPolicy policy) => $"{target}/{policy}";

    // An idle connection to the host when one is kept (and still young), else a new one.
    private async Task<(RemoteSmtpClient Client, bool Reused)> TakeClientAsync(Target target, MailTlsPolicy policy, bool relay, CancellationToken cancellationToken)
    {
        if (_idle.TryGetValue(CacheKey(target, policy), out var bag))
        {
            while (bag.TryTake(out var idle))
            {
                if (idle.IsConnected && DateTimeOffset.UtcNow - idle.LastUsed < _options.ConnectionCacheTime) return (idle, true);
                await RetireAsync(idle).ConfigureAwait(false);
            }
        }
        return (await OpenClientAsync(target, policy, relay, cancellationToken).ConfigureAwait(false), false);
    }

    private void ReturnClient(Target target, MailTlsPolicy policy, RemoteSmtpClient client)
    {
        _idle.GetOrAdd(CacheKey(target, policy), _ => []).Add(client);
        // Connections nobody took within the cache time are closed (QUIT) in the background.
        _ = Task.Delay(_options.ConnectionCacheTime + TimeSpan.FromMilliseconds(100)).ContinueWith(_ => PurgeIdleAsync(), TaskScheduler.Default);
    }

    private async Task PurgeIdleAsync()
    {
        foreach (var bag in _idle.Values)
        {
            var keep = new List<RemoteSmtpClient>();
            while (bag.TryTake(out var client))
            {
                if (client.IsConnected && DateTimeOffset.UtcNow - client.LastUsed < _options.ConnectionCacheTime) keep.Add(client);
                else await RetireAsync(client).ConfigureAwait(false);
            }
            foreach (var client in keep) bag.Add(client);
        }
    }

    private static async Task RetireAsync(RemoteSmtpClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.DisconnectAsync(true, quit.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SmtpProtocolException or SmtpCommandException or SocketException) { }
        finally { client.Dispose(); }
    }

    private async Task<RemoteSmtpClient> OpenClientAsync(Target target, MailTlsPolicy policy, bool relay, CancellationToken cancellationToken)
    {
        var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var client = new RemoteSmtpClient
        {
            LocalDomain = _options.HostName,
            Timeout = (int)_options.CommandTimeout.TotalMilliseconds,
            // Opportunistic and "encrypt" TLS authenticate nobody (Postfix's may/encrypt): any certificate will do.
            ServerCertificateValidationCallback = (_, _, _, _) => true,
            CheckCertificateRevocation = false,
            RemoteHost = $"{target.Host}[{target.Address}]",
        };
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connect.CancelAfter(_options.ConnectTimeout);
                try { await socket.ConnectAsync(new IPEndPoint(target.Address, target.Port), connect.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { throw new TimeoutException("connection timed out"); }
            }
            Interlocked.Increment(ref _connections);
            // The name, not the address, for the TLS server name indication; the socket is already connected to the address.
            var tls = policy == MailTlsPolicy.Encrypt ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable;
            try { await client.ConnectAsync(socket, target.Host, target.Port, tls, cancellationToken).ConfigureAwait(false); }
            catch (NotSupportedException) { throw new RemoteTlsRequiredException(); } // "encrypt" and no STARTTLS offered
            if (relay && _options.RelayHostCredentials is { } credentials && client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
                await client.AuthenticateAsync(credentials, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.Dispose();
            socket.Dispose();
            throw;
        }
    }

    private void Finish(Envelope envelope, EnvelopeRecipient recipient, RecipientStatus status, string dsn, string reason, string? remoteMta, string? diagnostic,
        string relay, DateTimeOffset started, TimeSpan setup, TimeSpan transmission = default)
    {
        recipient.Status = status;
        recipient.LastResponse = $"{dsn} {reason}";
        recipient.RemoteMta = remoteMta;
        recipient.Diagnostic = diagnostic;
        if (status == RecipientStatus.Delivered) Interlocked.Increment(ref _sent);
        if (_log is null) return;
        var delays = new MailDeliveryDelays(started - envelope.ArrivalTime, TimeSpan.Zero, setup, transmission);
        var logged = status switch { RecipientStatus.Delivered => MailDeliveryStatus.Sent, RecipientStatus.Bounced => MailDeliveryStatus.Bounced, _ => MailDeliveryStatus.Deferred };
        var originalRecipient = recipient.OriginalRecipient is { } o && o.IndexOf(';') is var semicolon and > 0 ? RemoteSmtpClient.DecodeXText(o[(semicolon + 1)..]) : recipient.OriginalRecipient;
        _log.Delivery("smtp", envelope.QueueId, recipient.Address, originalRecipient, relay, delays, dsn, logged, reason);
    }

    // RFC 3463: the enhanced status code at the start of the reply text, or the class of the reply code.
    private static string DsnOf(int code, string text)
    {
        var first = text.TrimStart().Split(' ', 2)[0];
        var parts = first.Split('.');
        if (parts.Length == 3 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)) && first[0] == (char)('0' + code / 100)) return first;
        return $"{(code / 100).ToString(CultureInfo.InvariantCulture)}.0.0";
    }

    private static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..].ToLowerInvariant();
    }

    /// <summary>Closes the kept connections (QUIT).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var bag in _idle.Values)
        {
            while (bag.TryTake(out var client)) await RetireAsync(client).ConfigureAwait(false);
        }
        foreach (var limit in _destinations.Values) limit.Dispose();
    }
}
