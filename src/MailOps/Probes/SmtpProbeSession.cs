using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using MimeKit;

namespace MailOps.Probes;

/// <summary>One SMTP conversation of a probe, stage by stage, filling the result as it goes.</summary>
internal sealed class SmtpProbeSession(SmtpProbeOptions options, SmtpProbeResult result, Stopwatch clock, List<ProbeTranscriptLine> transcript) : IAsyncDisposable
{
    private ProbeConnection? _connection;
    private SmtpProbeStage _stage = SmtpProbeStage.Connect;

    /// <summary>The TCP connection was made.</summary>
    public bool Connected => _connection is not null;

    /// <summary>The outcome for a connection lost in the current stage.</summary>
    public SmtpProbeOutcome FailureOutcome => OutcomeOf(_stage);

    private ProbeConnection Connection => _connection!;

    /// <summary>Walks the stages the options ask for and quits.</summary>
    public async Task RunAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var last = LastStage();
        var started = clock.Elapsed;
        _connection = await ProbeConnection.ConnectAsync(endPoint, clock, options.Timeout, transcript, cancellationToken).ConfigureAwait(false);
        if (options.Tls == MailTlsMode.Implicit)
        {
            // RFC 8314 3.3: implicit TLS starts with the handshake, the greeting comes inside it.
            result.TlsMode = MailTlsMode.Implicit;
            result.Tls = await HandshakeAsync(cancellationToken).ConfigureAwait(false);
        }
        var banner = await ReadReplyAsync(Connection, cancellationToken).ConfigureAwait(false);
        Record("", banner);
        result.Banner = banner.Text;
        // RFC 5321 3.1: 554 instead of 220 refuses service; 421 is a temporary refusal, which servers use for connection limits.
        if (banner.Code == 421) throw new ProbeStageException(SmtpProbeOutcome.RateLimited, $"the server refused the connection for now: {banner}");
        if (banner.Code != 220) throw new ProbeStageException(SmtpProbeOutcome.Banner, $"greeting {banner}");
        Done(SmtpProbeStage.Connect, started);
        if (await QuitIfAsync(SmtpProbeStage.Connect, last, cancellationToken).ConfigureAwait(false)) return;

        _stage = SmtpProbeStage.Ehlo;
        started = clock.Elapsed;
        result.Ehlo = await EhloAsync(cancellationToken).ConfigureAwait(false);
        Done(SmtpProbeStage.Ehlo, started);

        var startTls = options.Tls == MailTlsMode.StartTls || (options.Tls == MailTlsMode.Auto && result.Ehlo.StartTls);
        if (startTls && result.TlsMode != MailTlsMode.Implicit)
        {
            _stage = SmtpProbeStage.StartTls;
            started = clock.Elapsed;
            if (!result.Ehlo.StartTls) throw new ProbeStageException(SmtpProbeOutcome.Tls, "the server does not offer STARTTLS");
            var ready = await CommandAsync("STARTTLS", cancellationToken).ConfigureAwait(false);
            if (ready.Code != 220) throw new ProbeStageException(ready.Code == 421 ? SmtpProbeOutcome.RateLimited : SmtpProbeOutcome.Tls, $"STARTTLS refused: {ready}");
            result.TlsMode = MailTlsMode.StartTls;
            result.Tls = await HandshakeAsync(cancellationToken).ConfigureAwait(false);
            result.EhloBeforeTls = result.Ehlo;
            // RFC 3207 4.2: the client must discard what it knew and issue EHLO again.
            result.Ehlo = await EhloAsync(cancellationToken).ConfigureAwait(false);
            Done(SmtpProbeStage.StartTls, started);
        }
        // The relay test runs as an unauthenticated client, before AUTH.
        if (options.TestRelay)
        {
            started = clock.Elapsed;
            result.Relay = await RelayTestAsync(endPoint.Address, cancellationToken).ConfigureAwait(false);
            result.Timings.Add(new ProbeStageTiming("Relay", clock.Elapsed - started));
        }

        if (await QuitIfAsync(startTls ? SmtpProbeStage.StartTls : SmtpProbeStage.Ehlo, last, cancellationToken).ConfigureAwait(false)) return;

        if (options.Credential is not null)
        {
            _stage = SmtpProbeStage.Auth;
            started = clock.Elapsed;
            await AuthAsync(options.Credential, cancellationToken).ConfigureAwait(false);
            Done(SmtpProbeStage.Auth, started);
        }
        if (await QuitIfAsync(SmtpProbeStage.Auth, last, cancellationToken).ConfigureAwait(false)) return;

        var message = options.Send || last == SmtpProbeStage.Data ? BuildMessage() : null;
        _stage = SmtpProbeStage.Mail;
        started = clock.Elapsed;
        var from = options.From ?? "mailops-probe@" + options.EhloName;
        var utf8 = result.Ehlo.SmtpUtf8 && (!Ascii(from) || options.To.Any(t => !Ascii(t)) || (message is not null && !Ascii(message.ToString())));
        result.UsedSmtpUtf8 = utf8;
        var parameters = (utf8 ? " SMTPUTF8" : "") + (message is not null && result.Ehlo.EightBitMime ? " BODY=8BITMIME" : "");
        var mail = await CommandAsync($"MAIL FROM:<{from}>{parameters}", cancellationToken).ConfigureAwait(false);
        if (!mail.IsPositive) throw new ProbeStageException(mail.Code == 421 ? SmtpProbeOutcome.RateLimited : SmtpProbeOutcome.Mail, $"MAIL FROM refused: {mail}");
        Done(SmtpProbeStage.Mail, started);
        if (await QuitIfAsync(SmtpProbeStage.Mail, last, cancellationToken).ConfigureAwait(false)) return;

        _stage = SmtpProbeStage.Rcpt;
        started = clock.Elapsed;
        var accepted = new List<string>();
        var refused = new List<string>();
        foreach (var to in options.To)
        {
            var rcpt = await CommandAsync($"RCPT TO:<{to}>", cancellationToken).ConfigureAwait(false);
            if (rcpt.IsPositive) accepted.Add(to);
            else refused.Add($"{to}: {rcpt}");
        }
        result.AcceptedRecipients = accepted;
        if (accepted.Count == 0) throw new ProbeStageException(SmtpProbeOutcome.Rcpt, refused.Count == 0 ? "no recipient given" : "RCPT TO refused: " + string.Join("; ", refused));
        Done(SmtpProbeStage.Rcpt, started);
        if (await QuitIfAsync(SmtpProbeStage.Rcpt, last, cancellationToken).ConfigureAwait(false)) return;

        _stage = SmtpProbeStage.Data;
        started = clock.Elapsed;
        await DataAsync(message!, cancellationToken).ConfigureAwait(false);
        Done(SmtpProbeStage.Data, started);
        await QuitAsync(cancellationToken).ConfigureAwait(false);
    }

    private SmtpProbeStage LastStage()
    {
        if (options.QuitAfter is { } asked) return asked;
        if (options.Send) return SmtpProbeStage.Data;
        if (options.To.Count > 0) return SmtpProbeStage.Rcpt;
        if (options.From is not null) return SmtpProbeStage.Mail;
        return options.Credential is not null ? SmtpProbeStage.Auth : SmtpProbeStage.StartTls;
    }

    private async Task<bool> QuitIfAsync(SmtpProbeStage reached, SmtpProbeStage last, CancellationToken cancellationToken)
    {
        result.LastStage = reached;
        if (reached < last) return false;
        await QuitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task QuitAsync(CancellationToken cancellationToken)
    {
        _stage = SmtpProbeStage.Quit;
        var started = clock.Elapsed;
        try
        {
            var reply = await CommandAsync("QUIT", cancellationToken).ConfigureAwait(false);
            if (reply.Code == 221) Done(SmtpProbeStage.Quit, started);
        }
        catch (IOException)
        {
            // A server that closes without 221 has still ended the session.
        }
    }

    private async Task<MailTlsDetails> HandshakeAsync(CancellationToken cancellationToken)
    {
        var tls = await Connection.StartTlsAsync(options.Host, options.TrustedRoots, cancellationToken).ConfigureAwait(false);
        if (!options.SkipCertificateCheck && !(tls.ChainValid && tls.HostnameMatch))
        {
            result.Tls = tls;
            var why = !tls.ChainValid ? $"the certificate is not trusted: {tls.ChainError}" : $"the certificate does not name {options.Host}";
            throw new ProbeStageException(SmtpProbeOutcome.Tls, why + " (use SkipCertificateCheck to go on)");
        }
        return tls;
    }

    private async Task<SmtpEhlo> EhloAsync(CancellationToken cancellationToken)
    {
        var reply = await CommandAsync("EHLO " + options.EhloName, cancellationToken).ConfigureAwait(false);
        if (reply.Code == 421) throw new ProbeStageException(SmtpProbeOutcome.RateLimited, $"EHLO answered {reply}");
        if (reply.IsPositive) return SmtpEhlo.Parse(reply.Lines);
        // RFC 5321 4.1.4: a server that does not know EHLO may still know HELO.
        var helo = await CommandAsync("HELO " + options.EhloName, cancellationToken).ConfigureAwait(false);
        if (!helo.IsPositive) throw new ProbeStageException(SmtpProbeOutcome.Ehlo, $"EHLO refused: {reply}; HELO refused: {helo}");
        return SmtpEhlo.Parse([helo.Text]);
    }

    private async Task AuthAsync(NetworkCredential credential, CancellationToken cancellationToken)
    {
        var offered = result.Ehlo!.AuthMechanisms;
        var mechanism = options.AuthMechanism?.ToUpperInvariant()
            ?? new[] { "CRAM-MD5", "PLAIN", "LOGIN" }.FirstOrDefault(m => offered.Contains(m))
            ?? throw new ProbeStageException(SmtpProbeOutcome.Auth, offered.Count == 0 ? "the server offers no AUTH here" : $"none of {string.Join(", ", offered)} is supported by the probe");
        SmtpReply reply;
        var user = credential.UserName;
        var password = credential.Password;
        string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        const string Masked = "********";
        switch (mechanism)
        {
            case "PLAIN":
                // RFC 4616 2: [authzid] NUL authcid NUL passwd.
                reply = await CommandAsync($"AUTH PLAIN {B64($"\0{user}\0{password}")}", cancellationToken, $"AUTH PLAIN {Masked}").ConfigureAwait(false);
                break;
            case "LOGIN":
                reply = await CommandAsync("AUTH LOGIN", cancellationToken).ConfigureAwait(false);
                if (reply.Code == 334) reply = await CommandAsync(B64(user), cancellationToken).ConfigureAwait(false);
                if (reply.Code == 334) reply = await CommandAsync(B64(password), cancellationToken, Masked).ConfigureAwait(false);
                break;
            case "CRAM-MD5":
                reply = await CommandAsync("AUTH CRAM-MD5", cancellationToken).ConfigureAwait(false);
                if (reply.Code == 334)
                {
                    // RFC 2195 2: the reply is user SP hex(HMAC-MD5(password, challenge)).
                    var challenge = Convert.FromBase64String(reply.Text.Trim());
                    var digest = Convert.ToHexStringLower(HMACMD5.HashData(Encoding.UTF8.GetBytes(password), challenge));
                    reply = await CommandAsync(B64($"{user} {digest}"), cancellationToken, Masked).ConfigureAwait(false);
                }
                break;
            default:
                throw new ProbeStageException(SmtpProbeOutcome.Auth, $"the probe cannot use AUTH {mechanism} (PLAIN, LOGIN and CRAM-MD5 are supported)");
        }
        result.Auth = new SmtpAuthResult(mechanism, reply.Code == 235, reply.Code, reply.Text);
        if (reply.Code != 235) throw new ProbeStageException(reply.Code == 421 ? SmtpProbeOutcome.RateLimited : SmtpProbeOutcome.Auth, $"AUTH {mechanism} failed: {reply}");
    }

    private async Task<SmtpRelayTest> RelayTestAsync(IPAddress address, CancellationToken cancellationToken)
    {
        var serverName = result.Ehlo!.Greeting.Split(' ', 2)[0];
        if (serverName.Length == 0) serverName = options.Host;
        var attempts = new List<SmtpRelayAttempt>();
        string? error = null;
        try
        {
            foreach (var (from, to) in SmtpRelayTest.Variants(options.RelayDomain, serverName, address.ToString()))
            {
                // Each attempt starts a fresh transaction (RFC 5321 4.1.1.5).
                var reset = await CommandAsync("RSET", cancellationToken).ConfigureAwait(false);
                if (!reset.IsPositive) { error = $"RSET refused: {reset}"; break; }
                var mail = await CommandAsync($"MAIL FROM:{from}", cancellationToken).ConfigureAwait(false);
                if (!mail.IsPositive)
                {
                    attempts.Add(new SmtpRelayAttempt(from, to, mail.Code, 0, mail.Text, false));
                    continue;
                }
                var rcpt = await CommandAsync($"RCPT TO:{to}", cancellationToken).ConfigureAwait(false);
                attempts.Add(new SmtpRelayAttempt(from, to, mail.Code, rcpt.Code, rcpt.Text, rcpt.IsPositive));
            }
            await CommandAsync("RSET", cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            error = "the connection closed during the relay test: " + e.Message;
        }
        return new SmtpRelayTest { Attempts = attempts, RelayDomain = options.RelayDomain, Error = error };
    }

    private MimeMessage BuildMessage()
    {
        if (options.Message is not null) return options.Message;
        var message = new MimeMessage();
        var from = string.IsNullOrEmpty(options.From) ? "mailops-probe@" + options.EhloName : options.From;
        message.From.Add(MailboxAddress.Parse(from));
        foreach (var to in options.To) message.To.Add(MailboxAddress.Parse(to));
        message.Subject = options.Subject ?? $"MailOps probe {DateTime.UtcNow:u}";
        message.Date = DateTimeOffset.Now;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(options.EhloName);
        foreach (var (name, value) in options.Headers) message.Headers.Add(name, value);
        var body = new BodyBuilder { TextBody = options.Body ?? "This is a test message sent by Invoke-SmtpProbe.\n" };
        foreach (var path in options.Attachments) body.Attachments.Add(path);
        message.Body = body.ToMessageBody();
        return message;
    }

    private async Task DataAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        result.MessageId = message.MessageId;
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = result.UsedSmtpUtf8;
        using var buffer = new MemoryStream();
        await message.WriteToAsync(format, buffer, cancellationToken).ConfigureAwait(false);
        var bytes = buffer.ToArray();
        SmtpReply final;
        if (result.Ehlo!.Chunking)
        {
            // RFC 3030 2: BDAT carries the octets as they are, no dot-stuffing.
            result.UsedChunking = true;
            await Connection.WriteRawAsync(Encoding.ASCII.GetBytes($"BDAT {bytes.Length} LAST\r\n").Concat(bytes).ToArray(), cancellationToken, $"BDAT {bytes.Length} LAST").ConfigureAwait(false);
            Connection.Note($"message, {bytes.Length} bytes");
            final = await ReadReplyAsync(Connection, cancellationToken).ConfigureAwait(false);
            Record($"BDAT {bytes.Length} LAST", final);
        }
        else
        {
            var go = await CommandAsync("DATA", cancellationToken).ConfigureAwait(false);
            if (go.Code != 354) throw new ProbeStageException(go.Code == 421 ? SmtpProbeOutcome.RateLimited : SmtpProbeOutcome.Data, $"DATA refused: {go}");
            await Connection.WriteRawAsync(DotStuff(bytes), cancellationToken, $"<message, {bytes.Length} bytes>").ConfigureAwait(false);
            await Connection.WriteRawAsync("."u8.ToArray().Concat("\r\n"u8.ToArray()).ToArray(), cancellationToken, ".").ConfigureAwait(false);
            final = await ReadReplyAsync(Connection, cancellationToken).ConfigureAwait(false);
            Record("<message>", final);
        }
        if (!final.IsPositive) throw new ProbeStageException(final.Code == 421 ? SmtpProbeOutcome.RateLimited : SmtpProbeOutcome.Data, $"message refused: {final}");
        result.QueueId = SmtpProbe.QueueIdOf(final.Text);
    }

    /// <summary>RFC 5321 4.5.2: a line starting with a period gets one more; the message ends with CRLF.</summary>
    private static byte[] DotStuff(byte[] bytes)
    {
        var output = new MemoryStream(bytes.Length + 64);
        var lineStart = true;
        foreach (var b in bytes)
        {
            if (lineStart && b == (byte)'.') output.WriteByte((byte)'.');
            output.WriteByte(b);
            lineStart = b == (byte)'\n';
        }
        if (!lineStart) output.Write("\r\n"u8);
        return output.ToArray();
    }

    private async Task<SmtpReply> CommandAsync(string command, CancellationToken cancellationToken, string? shown = null)
    {
        await Connection.WriteLineAsync(command, cancellationToken, shown).ConfigureAwait(false);
        var reply = await ReadReplyAsync(Connection, cancellationToken).ConfigureAwait(false);
        Record(shown ?? command, reply);
        return reply;
    }

    /// <summary>Reads one reply, all its lines (RFC 5321 4.2.1: "code-" continues, "code " ends).</summary>
    public static async Task<SmtpReply> ReadReplyAsync(ProbeConnection connection, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var code = 0;
        while (true)
        {
            var line = await connection.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new IOException(lines.Count == 0 ? "the server closed the connection" : "the server closed the connection in the middle of a reply");
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var lineCode))
                throw new ProbeStageException(SmtpProbeOutcome.Banner, $"not an SMTP reply: '{line}'");
            code = lineCode;
            lines.Add(line.Length > 4 ? line[4..] : "");
            if (line.Length == 3 || line[3] != '-') break;
        }
        return new SmtpReply { Code = code, EnhancedCode = SmtpReply.EnhancedCodeOf(code, lines[0]), Lines = lines };
    }

    private void Record(string command, SmtpReply reply) =>
        result.Replies.Add(new SmtpStageReply(_stage, command, reply.Code, reply.EnhancedCode, reply.Text));

    private void Done(SmtpProbeStage stage, TimeSpan started) => result.Timings.Add(new ProbeStageTiming(stage.ToString(), clock.Elapsed - started));

    private static bool Ascii(string text) => text.All(char.IsAscii);

    private static SmtpProbeOutcome OutcomeOf(SmtpProbeStage stage) => stage switch
    {
        SmtpProbeStage.Connect => SmtpProbeOutcome.Banner,
        SmtpProbeStage.Ehlo => SmtpProbeOutcome.Ehlo,
        SmtpProbeStage.StartTls => SmtpProbeOutcome.Tls,
        SmtpProbeStage.Auth => SmtpProbeOutcome.Auth,
        SmtpProbeStage.Mail => SmtpProbeOutcome.Mail,
        SmtpProbeStage.Rcpt => SmtpProbeOutcome.Rcpt,
        SmtpProbeStage.Data => SmtpProbeOutcome.Data,
        _ => SmtpProbeOutcome.Success,
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
