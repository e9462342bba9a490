using System.Globalization;

namespace MailOps.Probes;

/// <summary>Probes a POP3 server (RFC 1939, CAPA RFC 2449, STLS RFC 2595): greeting, capabilities before and after TLS, TLS details, a login test and STAT.</summary>
public static class Pop3Probe
{
    /// <summary>Probes one server; never throws for what the server does, the result tells.</summary>
    public static Task<Pop3ProbeResult> ProbeAsync(MailAccessProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new Pop3ProbeResult { Server = options.Host, Port = options.Port != 0 ? options.Port : DefaultPort(options.Tls) };
        return MailAccessProbe.RunAsync(options, result, result.Port, async (connection, clock) =>
        {
            var started = clock.Elapsed;
            if (options.Tls == MailTlsMode.Implicit)
            {
                result.TlsMode = MailTlsMode.Implicit;
                await MailAccessProbe.HandshakeAsync(connection, options, result, cancellationToken).ConfigureAwait(false);
            }
            var greeting = await MailAccessProbe.ReadLineAsync(connection, cancellationToken).ConfigureAwait(false);
            result.Banner = greeting;
            if (!greeting.StartsWith("+OK", StringComparison.Ordinal)) throw new MailAccessStageException(MailAccessProbeOutcome.Banner, $"greeting '{greeting}'");
            var capabilities = await CapaAsync(connection, cancellationToken).ConfigureAwait(false);
            result.Timings.Add(new ProbeStageTiming("Greeting", clock.Elapsed - started));
            if (result.TlsMode != MailTlsMode.Implicit)
            {
                result.CapabilitiesBeforeTls = capabilities;
                var offered = capabilities.Contains("STLS", StringComparer.OrdinalIgnoreCase);
                if (options.Tls == MailTlsMode.StartTls || (options.Tls == MailTlsMode.Auto && offered))
                {
                    started = clock.Elapsed;
                    if (!offered) throw new MailAccessStageException(MailAccessProbeOutcome.Tls, "the server does not offer STLS");
                    var stls = await CommandAsync(connection, "STLS", cancellationToken).ConfigureAwait(false);
                    if (!stls.StartsWith("+OK", StringComparison.Ordinal)) throw new MailAccessStageException(MailAccessProbeOutcome.Tls, $"STLS refused: {stls}");
                    result.TlsMode = MailTlsMode.StartTls;
                    await MailAccessProbe.HandshakeAsync(connection, options, result, cancellationToken).ConfigureAwait(false);
                    // RFC 2595 4: capabilities learned before STLS must be discarded.
                    capabilities = await CapaAsync(connection, cancellationToken).ConfigureAwait(false);
                    result.Timings.Add(new ProbeStageTiming("StartTls", clock.Elapsed - started));
                }
            }
            result.Capabilities = capabilities;
            if (options.Credential is { } credential)
            {
                started = clock.Elapsed;
                var user = await CommandAsync(connection, "USER " + credential.UserName, cancellationToken).ConfigureAwait(false);
                var reply = user.StartsWith("+OK", StringComparison.Ordinal)
                    ? await CommandAsync(connection, "PASS " + credential.Password, cancellationToken, "PASS ********").ConfigureAwait(false)
                    : user;
                result.LoginSucceeded = reply.StartsWith("+OK", StringComparison.Ordinal);
                result.LoginReply = reply;
                result.Timings.Add(new ProbeStageTiming("Login", clock.Elapsed - started));
                if (result.LoginSucceeded != true) throw new MailAccessStageException(MailAccessProbeOutcome.Login, $"login refused: {reply}");
                var stat = await CommandAsync(connection, "STAT", cancellationToken).ConfigureAwait(false);
                // RFC 1939 5: +OK nn mm, the number of messages and the size in octets.
                var parts = stat.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 3 || parts[0] != "+OK") throw new MailAccessStageException(MailAccessProbeOutcome.Mailbox, $"STAT failed: {stat}");
                result.MessageCount = int.Parse(parts[1], CultureInfo.InvariantCulture);
                result.MaildropSize = long.Parse(parts[2], CultureInfo.InvariantCulture);
            }
            await CommandAsync(connection, "QUIT", cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>110, or 995 for implicit TLS (RFC 8314 7.3).</summary>
    public static int DefaultPort(MailTlsMode tls) => tls == MailTlsMode.Implicit ? 995 : 110;

    private static async Task<IReadOnlyList<string>> CapaAsync(ProbeConnection connection, CancellationToken cancellationToken)
    {
        // RFC 2449 5: CAPA answers +OK and a multi-line list ending with ".", or -ERR from servers without it.
        var first = await CommandAsync(connection, "CAPA", cancellationToken).ConfigureAwait(false);
        if (!first.StartsWith("+OK", StringComparison.Ordinal)) return [];
        var lines = new List<string>();
        while (true)
        {
            var line = await MailAccessProbe.ReadLineAsync(connection, cancellationToken).ConfigureAwait(false);
            if (line == ".") return lines;
            lines.Add(line.StartsWith("..", StringComparison.Ordinal) ? line[1..] : line);
        }
    }

    private static async Task<string> CommandAsync(ProbeConnection connection, string command, CancellationToken cancellationToken, string? shown = null)
    {
        await connection.WriteLineAsync(command, cancellationToken, shown).ConfigureAwait(false);
        return await MailAccessProbe.ReadLineAsync(connection, cancellationToken).ConfigureAwait(false);
    }
}
