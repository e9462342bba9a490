using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace MailOps.Probes;

/// <summary>What the IMAP and POP3 probes share: resolving, connecting, the TLS handshake and its judgement, and how failures end a probe.</summary>
internal static class MailAccessProbe
{
    /// <summary>Runs <paramref name="dialogue"/> on a connection to the server and fills the common fields; never throws for what the server does.</summary>
    public static async Task<T> RunAsync<T>(MailAccessProbeOptions options, T result, int defaultPort, Func<ProbeConnection, Stopwatch, Task> dialogue, CancellationToken cancellationToken)
        where T : MailAccessProbeResult
    {
        var clock = Stopwatch.StartNew();
        var transcript = new List<ProbeTranscriptLine>();
        var port = options.Port != 0 ? options.Port : defaultPort;
        ProbeConnection? connection = null;
        try
        {
            var address = options.Address ?? await SmtpProbe.ResolveAsync(options.Host, options.Resolver, cancellationToken).ConfigureAwait(false);
            result.Address = address;
            var started = clock.Elapsed;
            connection = await ProbeConnection.ConnectAsync(new IPEndPoint(address, port), clock, options.Timeout, transcript, cancellationToken).ConfigureAwait(false);
            result.Timings.Add(new ProbeStageTiming("Connect", clock.Elapsed - started));
            await dialogue(connection, clock).ConfigureAwait(false);
            result.Result = MailAccessProbeOutcome.Success;
        }
        catch (MailAccessStageException e) { Fail(result, e.Outcome, e.Message); }
        catch (ProbeStageException e) { Fail(result, MailAccessProbeOutcome.Connect, e.Message); }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Fail(result, MailAccessProbeOutcome.Timeout, $"no answer within {options.Timeout.TotalSeconds:0.#} s");
        }
        catch (AuthenticationException e) { Fail(result, MailAccessProbeOutcome.Tls, "TLS handshake failed: " + e.Message); }
        catch (SocketException e) { Fail(result, connection is null ? MailAccessProbeOutcome.Connect : MailAccessProbeOutcome.Banner, e.Message); }
        catch (IOException e) { Fail(result, connection is null ? MailAccessProbeOutcome.Connect : result.Banner is null ? MailAccessProbeOutcome.Banner : MailAccessProbeOutcome.Mailbox, e.Message); }
        finally
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        }
        if (result.Tls is not null && options.Resolver is not null)
            await result.Tls.CheckDnsAsync(options.Resolver, options.Host, port, null, 443, null, cancellationToken).ConfigureAwait(false);
        lock (transcript) result.Transcript = transcript.ToArray();
        return result;
    }

    /// <summary>The handshake; an untrusted certificate or one that does not name the host ends the probe unless the check is skipped.</summary>
    public static async Task<MailTlsDetails> HandshakeAsync(ProbeConnection connection, MailAccessProbeOptions options, MailAccessProbeResult result, CancellationToken cancellationToken)
    {
        var tls = await connection.StartTlsAsync(options.Host, options.TrustedRoots, cancellationToken).ConfigureAwait(false);
        result.Tls = tls;
        if (!options.SkipCertificateCheck && !(tls.ChainValid && tls.HostnameMatch))
            throw new MailAccessStageException(MailAccessProbeOutcome.Tls,
                (!tls.ChainValid ? $"the certificate is not trusted: {tls.ChainError}" : $"the certificate does not name {options.Host}") + " (use SkipCertificateCheck to go on)");
        return tls;
    }

    /// <summary>Reads a line; the server closing the connection is an error.</summary>
    public static async Task<string> ReadLineAsync(ProbeConnection connection, CancellationToken cancellationToken) =>
        await connection.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("the server closed the connection");

    private static void Fail(MailAccessProbeResult result, MailAccessProbeOutcome outcome, string error)
    {
        result.Result = outcome;
        result.Error = error;
    }
}
