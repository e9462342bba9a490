using System.Net;
using System.Net.Security;
using System.Text;
using MailOps.Engine.Auth;
using MailOps.Engine.Listeners;
using MailOps.Engine.Authentication;
using MailOps.Engine.Logging;
using MailOps.Engine.Policy;
using MailOps.Engine.Queue;

namespace MailOps.Engine.Smtp;

/// <summary>
/// One SMTP server session (RFC 5321, with ESMTP extensions): reads command lines, answers each with a reply that
/// carries an enhanced status code (RFC 2034), asks <see cref="RelayPolicy"/> about senders and recipients, and streams
/// message data into the <see cref="MailQueue"/>, replying 250 only once the message is durable.
/// </summary>
internal sealed class SmtpSession
{
    private const int CommandLineLimit = 510; // RFC 5321 4.5.3.1.4: 512 octets including CRLF
    private const int ParameterLineLimit = 1022; // SIZE, DSN and AUTH= may lengthen MAIL and RCPT (RFC 5321 4.5.3.1.4)
    private const int AuthLineLimit = 12288; // RFC 4954 4
    private const string NulRefusal = "Error: NUL characters are not allowed in message data";
    private const string BareNewlineRefusal = "Error: bare <CR> or <LF> in message data";

    private readonly IPEndPoint _client;
    private readonly SmtpSessionOptions _options;
    private readonly RelayPolicy _policy;
    private readonly MailQueue _queue;
    private readonly IMailAuthenticator? _authenticator;
    private readonly ISmtpSessionObserver? _observer;
    private readonly CancellationToken _stopping;
    private readonly CancellationToken _aborting;

    private Stream _stream;
    private LineInput _input;
    private string? _helo;
    private bool _esmtp;
    private bool _tls;
    private string? _authUser;
    private string? _authMethod;
    private int _errors;
    private Envelope? _envelope;
    private string? _queueId;
    private QueuedMessageWriter? _chunked;
    private HeaderSectionCopy? _chunkedHeaders;
    private long _chunkedSize;
    private ChunkContentCheck? _chunkCheck;
    private string _clientName = "unknown";
    private string? _blocklisted;
    private bool _blocklistChecked;

    // For the log (Postfix's smtpd): the commands so far, where the session is, and whether this command failed.
    private readonly SmtpCommandTally _commands = new();
    private string _stage = "CONNECT";
    private string _command = "UNKNOWN";
    private bool _commandFailed;

    /// <summary>
    /// A session over <paramref name="stream"/>. <paramref name="stopping"/> ends the session at the next command
    /// (graceful stop); <paramref name="aborting"/> also ends it in the middle of message data.
    /// </summary>
    public SmtpSession(
        Stream stream,
        IPEndPoint client,
        SmtpSessionOptions options,
        RelayPolicy policy,
        MailQueue queue,
        IMailAuthenticator? authenticator,
        ISmtpSessionObserver? observer,
        CancellationToken stopping,
        CancellationToken aborting)
    {
        _stream = stream;
        _input = new LineInput(stream);
        _client = client.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(client.Address.MapToIPv4(), client.Port) : client;
        _options = options;
        _policy = policy;
        _queue = queue;
        _authenticator = authenticator;
        _observer = observer;
        _stopping = stopping;
        _aborting = aborting;
    }

    /// <summary>True while the session is receiving message data (DATA or a BDAT transaction).</summary>
    public bool InData { get; private set; }

    private bool AuthenticationOffered =>
        _authenticator is not null
        && (_tls || (_options.AllowPlaintextAuthOnLoopback && IPAddress.IsLoopback(_client.Address)));

    /// <summary>Runs the session to its end; never throws: whatever the client sends, the server carries on.</summary>
    public async Task RunAsync()
    {
        _clientName = await LookupClientNameAsync().ConfigureAwait(false);
        Notify(SmtpSessionEventKind.Connected, null);
        try
        {
            if (_options.RateLimits?.Connect(_options.ServiceName, _client.Address) is { } rate)
            {
                // Postfix's smtpd: the warning, then 421 instead of the greeting.
                Notify(SmtpSessionEventKind.LimitExceeded, $"Connection rate limit exceeded: {rate}");
                await ReplyAsync($"421 4.7.0 {_options.HostName} Error: too many connections from {_client.Address}").ConfigureAwait(false);
                return;
            }

            if (_options.ImplicitTls && !await HandshakeAsync().ConfigureAwait(false))
            {
                return;
            }

            await ReplyAsync($"220 {_options.HostName} ESMTP MailOps").ConfigureAwait(false);
            while (await NextCommandAsync().ConfigureAwait(false))
            {
            }
        }
        catch (SessionEndException end)
        {
            Notify(SmtpSessionEventKind.Lost, end.Message, loss: end.Loss);
            try
            {
                await ReplyAsync(end.Message).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The client may be gone already; the session ends either way.
            }
        }
        catch (Exception e)
        {
            // Lost connections, TLS garbage, anything: log it, end this session, keep the server running.
            Notify(SmtpSessionEventKind.Lost, e is EndOfStreamException ? "lost connection" : $"lost connection ({e.GetType().Name}: {e.Message})", loss: SmtpSessionLoss.LostConnection);
        }
        finally
        {
            await ResetTransactionAsync().ConfigureAwait(false);
            Notify(SmtpSessionEventKind.Disconnected, null, commands: _commands);
            try
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Disposing a broken TLS stream can throw; nothing is left to clean up.
            }
        }
    }

    private async Task<bool> NextCommandAsync()
    {
        var (end, bytes) = await ReadLineAsync(AuthLineLimit).ConfigureAwait(false);
        if (end == LineEnd.EndOfStream)
        {
            throw new EndOfStreamException();
        }

        // smtpd counts every command by its verb (unknown ones as "unknown") and names the stage after it.
        _command = _stage = "UNKNOWN";
        _commandFailed = false;
        bool completed = false;
        try
        {
            bool more = await CommandAsync(end, bytes).ConfigureAwait(false);
            completed = true;
            return more;
        }
        finally
        {
            _commands.Count(_command, completed && !_commandFailed);
        }
    }

    private async Task<bool> CommandAsync(LineEnd end, byte[] bytes)
    {
        switch (end)
        {
            case LineEnd.TooLong:
                return await ErrorAsync(500, "5.5.6", "Error: line too long").ConfigureAwait(false);
            case LineEnd.BareLf when !_options.AcceptBareLineFeedInCommands:
                return await ErrorAsync(500, "5.5.2", "Error: bare <LF> received").ConfigureAwait(false);
        }

        if (bytes.AsSpan().IndexOf((byte)0) >= 0)
        {
            return await ErrorAsync(500, "5.5.2", "Error: NUL character in command").ConfigureAwait(false);
        }

        string line = Encoding.UTF8.GetString(bytes);
        int space = line.IndexOf(' ');
        string verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        string argument = space < 0 ? "" : line[(space + 1)..].Trim();
        _command = _stage = SmtpCommandTally.IsKnown(verb) ? verb : "UNKNOWN";
        int limit = verb switch
        {
            "AUTH" => AuthLineLimit,
            "MAIL" or "RCPT" => ParameterLineLimit,
            _ => CommandLineLimit,
        };
        if (bytes.Length > limit)
        {
            return await ErrorAsync(500, "5.5.6", "Error: line too long").ConfigureAwait(false);
        }

        switch (verb)
        {
            case "EHLO":
                return await HelloAsync(argument, extended: true).ConfigureAwait(false);
            case "HELO":
                return await HelloAsync(argument, extended: false).ConfigureAwait(false);
            case "MAIL":
                return await MailAsync(argument).ConfigureAwait(false);
            case "RCPT":
                return await RecipientAsync(argument).ConfigureAwait(false);
            case "DATA":
                return await DataAsync(argument).ConfigureAwait(false);
            case "BDAT":
                return await ChunkAsync(argument).ConfigureAwait(false);
            case "RSET":
                if (argument.Length > 0)
                {
                    return await ErrorAsync(501, "5.5.4", "Syntax: RSET").ConfigureAwait(false);
                }

                await ResetTransactionAsync().ConfigureAwait(false);
                return await OkAsync(250, "2.0.0", "Ok").ConfigureAwait(false);
            case "NOOP":
                return await OkAsync(250, "2.0.0", "Ok").ConfigureAwait(false);
            case "QUIT":
                await ReplyAsync("221 2.0.0 Bye").ConfigureAwait(false);
                return false;
            case "VRFY":
                return await VerifyAsync(argument).ConfigureAwait(false);
            case "HELP":
                return await OkAsync(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH").ConfigureAwait(false);
            case "STARTTLS":
                return await StartTlsAsync(argument).ConfigureAwait(false);
            case "AUTH":
                return await AuthenticateAsync(argument).ConfigureAwait(false);
            default:
                return await ErrorAsync(500, "5.5.1", "Error: command not recognized").ConfigureAwait(false);
        }
    }

    private async Task<bool> HelloAsync(string argument, bool extended)
    {
        if (argument.Length == 0)
        {
            return await ErrorAsync(501, "5.5.2", extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname").ConfigureAwait(false);
        }

        // RFC 5321 4.1.4: EHLO resets any transaction in progress.
        await ResetTransactionAsync().ConfigureAwait(false);
        _helo = argument;
        _esmtp = extended;
        if (!extended)
        {
            await ReplyAsync($"250 {_options.HostName}").ConfigureAwait(false);
            return true;
        }

        var lines = new List<string> { _options.HostName, "PIPELINING", $"SIZE {_options.MaxMessageSize}" };
        if (_options.EnableVrfy)
        {
            lines.Add("VRFY");
        }

        if (!_tls && _options.Certificate is not null)
        {
            lines.Add("STARTTLS");
        }

        if (AuthenticationOffered)
        {
            lines.Add("AUTH " + string.Join(' ', SaslExchange.Mechanisms));
        }

        lines.AddRange(["ENHANCEDSTATUSCODES", "8BITMIME", "BINARYMIME", "DSN", "SMTPUTF8", "CHUNKING"]);
        var reply = new StringBuilder();
        for (int i = 0; i < lines.Count; i++)
        {
            reply.Append("250").Append(i == lines.Count - 1 ? ' ' : '-').Append(lines[i]);
            if (i < lines.Count - 1)
            {
                reply.Append("\r\n");
            }
        }

        await ReplyAsync(reply.ToString()).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> MailAsync(string argument)
    {
        if (_helo is null)
        {
            return await ErrorAsync(503, "5.5.1", "Error: send HELO/EHLO first").ConfigureAwait(false);
        }

        if (_envelope is not null)
        {
            return await ErrorAsync(503, "5.5.1", "Error: nested MAIL command").ConfigureAwait(false);
        }

        if (!argument.StartsWith("FROM:", StringComparison.OrdinalIgnoreCase))
        {
            return await ErrorAsync(501, "5.5.2", "Syntax: MAIL FROM:<address>").ConfigureAwait(false);
        }

        bool parsed = SmtpPath.TryParse(argument[5..], out string sender, out var parameters);
        PolicyDecision allowed = _policy.CheckSender(_options.RequireAuthentication, _authUser);
        if (!allowed.IsAccepted)
        {
            return await RejectAsync(allowed.Code, allowed.EnhancedCode, allowed.Text, parsed ? sender : null).ConfigureAwait(false);
        }

        if (!parsed)
        {
            return await ErrorAsync(501, "5.1.7", "Bad sender address syntax").ConfigureAwait(false);
        }

        if (_options.RateLimits is { } limits)
        {
            if (limits.Message(_options.ServiceName, _client.Address) is { } rate)
            {
                Notify(SmtpSessionEventKind.LimitExceeded, $"Message delivery request rate limit exceeded: {rate}");
                return await ErrorAsync(450, "4.7.1", $"Error: too much mail from {_client.Address}").ConfigureAwait(false);
            }

            if (_authUser is not null && limits.UserMessage(_authUser) is { } userRate)
            {
                Notify(SmtpSessionEventKind.LimitExceeded, $"SASL user message rate limit exceeded: {userRate} by sasl_username={_authUser}");
                return await ErrorAsync(450, "4.7.1", $"Error: too much mail from {_authUser}").ConfigureAwait(false);
            }
        }

        var envelope = new Envelope
        {
            Sender = sender,
            ClientAddress = _client.Address.ToString(),
            Helo = _helo,
            ClientName = _clientName,
            AuthUser = _authUser,
            Tls = _tls,
        };
        if (parameters.Count > 0 && !_esmtp)
        {
            return await ErrorAsync(555, "5.5.4", "Error: parameters need EHLO").ConfigureAwait(false);
        }

        foreach (var (key, value) in parameters)
        {
            switch (key)
            {
                case "SIZE":
                    // RFC 1870 6: refuse at MAIL when the declared size is already too big.
                    if (!long.TryParse(value, System.Globalization.NumberStyles.None, null, out long size))
                    {
                        return await ErrorAsync(501, "5.5.4", "Bad SIZE parameter").ConfigureAwait(false);
                    }

                    if (size > _options.MaxMessageSize)
                    {
                        return await RejectAsync(552, "5.3.4", "Message size exceeds fixed limit", sender).ConfigureAwait(false);
                    }

                    break;
                case "BODY" when value is not null && (value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase) || value.Equals("BINARYMIME", StringComparison.OrdinalIgnoreCase)):
                    envelope.Body = value.ToUpperInvariant();
                    break;
                case "SMTPUTF8" when value is null:
                    envelope.SmtpUtf8 = true;
                    break;
                case "RET" when value is not null && (value.Equals("FULL", StringComparison.OrdinalIgnoreCase) || value.Equals("HDRS", StringComparison.OrdinalIgnoreCase)):
                    envelope.Ret = value.ToUpperInvariant();
                    break;
                case "ENVID" when !string.IsNullOrEmpty(value) && value.Length <= 100: // RFC 3461 4.4
                    envelope.EnvelopeId = value;
                    break;
                case "AUTH" when !string.IsNullOrEmpty(value):
                    envelope.AuthParameter = value;
                    break;
                default:
                    // RFC 5321 4.1.1.11: an unrecognised or malformed parameter gets 555.
                    return await ErrorAsync(555, "5.5.4", $"Unsupported option: {key}").ConfigureAwait(false);
            }
        }

        if (!envelope.SmtpUtf8 && !Ascii.IsValid(sender))
        {
            // RFC 6531 3.4: a UTF-8 address needs the SMTPUTF8 parameter.
            return await ErrorAsync(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address").ConfigureAwait(false);
        }

        _envelope = envelope;
        return await OkAsync(250, "2.1.0", "Ok").ConfigureAwait(false);
    }

    private async Task<bool> RecipientAsync(string argument)
    {
        if (_envelope is null)
        {
            return await ErrorAsync(503, "5.5.1", "Error: need MAIL command").ConfigureAwait(false);
        }

        if (!argument.StartsWith("TO:", StringComparison.OrdinalIgnoreCase))
        {
            return await ErrorAsync(501, "5.5.2", "Syntax: RCPT TO:<address>").ConfigureAwait(false);
        }

        if (!SmtpPath.TryParse(argument[3..], out string address, out var parameters) || address.Length == 0)
        {
            return await ErrorAsync(501, "5.1.3", "Bad recipient address syntax").ConfigureAwait(false);
        }

        if (_options.RateLimits?.Recipient(_options.ServiceName, _client.Address) is { } rate)
        {
            Notify(SmtpSessionEventKind.LimitExceeded, $"Recipient address rate limit exceeded: {rate}");
            return await ErrorAsync(450, "4.7.1", $"Error: too many recipients from {_client.Address}").ConfigureAwait(false);
        }

        if (_envelope.Recipients.Count >= _options.MaxRecipients)
        {
            // RFC 5321 4.5.3.1.8: 452 for too many recipients; the client retries the rest in a new transaction.
            return await RejectAsync(452, "4.5.3", "Error: too many recipients", _envelope.Sender, address).ConfigureAwait(false);
        }

        var recipient = new EnvelopeRecipient { Address = address };
        foreach (var (key, value) in parameters)
        {
            switch (key)
            {
                case "NOTIFY" when value is not null && IsValidNotify(value):
                    recipient.Notify = value!.ToUpperInvariant();
                    break;
                case "ORCPT" when value is not null && value.IndexOf(';') > 0: // RFC 3461 4.2: addr-type ";" xtext
                    recipient.OriginalRecipient = value;
                    break;
                default:
                    return await ErrorAsync(555, "5.5.4", $"Unsupported option: {key}").ConfigureAwait(false);
            }
        }

        if (!_envelope.SmtpUtf8 && !Ascii.IsValid(address))
        {
            return await ErrorAsync(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address").ConfigureAwait(false);
        }

        PolicyDecision decision = _policy.CheckRecipient(address, _client.Address, _authUser);
        if (!decision.IsAccepted)
        {
            return await RejectAsync(decision.Code, decision.EnhancedCode, decision.Text, _envelope.Sender, address).ConfigureAwait(false);
        }

        if (await BlocklistedAsync().ConfigureAwait(false) is { } blocked)
        {
            return await RejectAsync(554, "5.7.1", blocked, _envelope.Sender, address).ConfigureAwait(false);
        }

        if (await _policy.CheckMailboxRoomAsync(address, _stopping).ConfigureAwait(false) is { IsAccepted: false } full)
        {
            return await RejectAsync(full.Code, full.EnhancedCode, full.Text, _envelope.Sender, address).ConfigureAwait(false);
        }

        _envelope.Recipients.Add(recipient);
        if (_queueId is null)
        {
            // Postfix names the transaction at its first accepted recipient, so later rejects carry the queue id.
            _queueId = QueueId.New();
            Notify(SmtpSessionEventKind.TransactionStarted, null, _envelope);
        }

        return await OkAsync(250, "2.1.5", "Ok").ConfigureAwait(false);
    }

    private async Task<bool> DataAsync(string argument)
    {
        if (argument.Length > 0)
        {
            return await ErrorAsync(501, "5.5.4", "Syntax: DATA").ConfigureAwait(false);
        }

        if (_envelope is null)
        {
            return await ErrorAsync(503, "5.5.1", "Error: need MAIL command").ConfigureAwait(false);
        }

        if (_chunked is not null)
        {
            // RFC 3030 2: DATA may not be mixed with BDAT in one transaction.
            return await ErrorAsync(503, "5.5.1", "Error: DATA after BDAT").ConfigureAwait(false);
        }

        if (_envelope.Body == "BINARYMIME")
        {
            // RFC 3030 3: binary content can only be sent with BDAT.
            return await ErrorAsync(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT").ConfigureAwait(false);
        }

        if (_envelope.Recipients.Count == 0)
        {
            return await ErrorAsync(554, "5.5.1", "Error: no valid recipients").ConfigureAwait(false);
        }

        await ReplyAsync("354 End data with <CR><LF>.<CR><LF>").ConfigureAwait(false);
        InData = true;
        QueuedMessageWriter? writer = null;
        try
        {
            Stream content = Stream.Null;
            HeaderSectionCopy? headers = null;
            try
            {
                writer = _queue.BeginMessage(_queueId!);
                headers = new HeaderSectionCopy(writer.Content);
                content = headers;
                WriteReceivedHeader(content, writer.QueueId);
            }
            catch (IOException)
            {
                // The queue is broken (disk full?): read the data anyway so the session stays in step, then say 451.
                writer = null;
            }

            var decoder = new MessageDataDecoder(content, _options.MaxMessageSize, _options.RejectBareNewlineInData);
            while (true)
            {
                if (_input.BufferedCount == 0 && await FillDataAsync().ConfigureAwait(false) == 0)
                {
                    throw new EndOfStreamException();
                }

                int used = decoder.Feed(_input.Buffered, out bool ended);
                _input.Consume(used);
                if (ended)
                {
                    break;
                }
            }

            // Content refusals are policy rejects, logged with the queue id; a line too long or a write error only counts.
            (int Code, string Enhanced, string Text, bool Policy)? refusal =
                decoder.Nul ? (550, "5.6.0", NulRefusal, true)
                : decoder.BareNewline && _options.RejectBareNewlineInData ? (550, "5.6.0", BareNewlineRefusal, true)
                : decoder.TooBig ? (552, "5.3.4", "Error: message file too big", true)
                : decoder.LineTooLong ? (500, "5.5.6", "Error: line too long", false)
                : writer is null || decoder.WriteFailed ? (451, "4.3.0", "Error: queue file write error", false)
                : null;
            _stage = "END-OF-MESSAGE";
            if (refusal is { } r)
            {
                // The temporary file goes before the reply, so a refused message leaves nothing behind.
                if (writer is not null)
                {
                    await writer.DisposeAsync().ConfigureAwait(false);
                }

                return r.Policy
                    ? await RejectMessageAsync(r.Code, r.Enhanced, r.Text).ConfigureAwait(false)
                    : await FailTransactionAsync(r.Code, r.Enhanced, r.Text).ConfigureAwait(false);
            }

            return await CommitAsync(writer!, headers!).ConfigureAwait(false);
        }
        finally
        {
            InData = false;
            if (writer is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> ChunkAsync(string argument)
    {
        // RFC 3030 2: BDAT <chunk-size> [LAST]
        string[] words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        bool last = words.Length == 2 && words[1].Equals("LAST", StringComparison.OrdinalIgnoreCase);
        if (words.Length is 0 or > 2 || (words.Length == 2 && !last)
            || !long.TryParse(words[0], System.Globalization.NumberStyles.None, null, out long size))
        {
            return await ErrorAsync(501, "5.5.4", "Syntax: BDAT size [LAST]").ConfigureAwait(false);
        }

        InData = true;
        try
        {
            if (_envelope is null || _envelope.Recipients.Count == 0)
            {
                // The chunk's octets follow regardless; read them so they are not taken for commands.
                await SkipAsync(size).ConfigureAwait(false);
                return await ErrorAsync(503, "5.5.1", _envelope is null ? "Error: need MAIL command" : "Error: need RCPT command").ConfigureAwait(false);
            }

            if (_chunked is null)
            {
                _chunked = _queue.BeginMessage(_queueId!);
                _chunkedHeaders = new HeaderSectionCopy(_chunked.Content);
                _chunkedSize = 0;
                // RFC 3030 3: BINARYMIME may carry any octet; other bodies get the same checks as DATA.
                _chunkCheck = _envelope.Body == "BINARYMIME" ? null : new ChunkContentCheck();
                WriteReceivedHeader(_chunkedHeaders, _chunked.QueueId);
            }

            long remaining = size;
            while (remaining > 0)
            {
                if (_input.BufferedCount == 0 && await FillDataAsync().ConfigureAwait(false) == 0)
                {
                    throw new EndOfStreamException();
                }

                int take = (int)Math.Min(_input.BufferedCount, remaining);
                // The size limit is enforced as octets arrive: nothing past it is written.
                _chunkCheck?.Scan(_input.Buffered[..take]);
                if (_chunkedSize + take <= _options.MaxMessageSize && _chunkCheck?.Nul != true)
                {
                    _chunkedHeaders!.Write(_input.Buffered[..take]);
                }

                _chunkedSize += take;
                _input.Consume(take);
                remaining -= take;
            }

            if (last)
            {
                _chunkCheck?.End();
            }

            (int Code, string Enhanced, string Text)? refusal =
                _chunkCheck?.Nul == true ? (550, "5.6.0", NulRefusal)
                : _chunkCheck?.BareNewline == true && _options.RejectBareNewlineInData ? (550, "5.6.0", BareNewlineRefusal)
                : _chunkedSize > _options.MaxMessageSize ? (552, "5.3.4", "Error: message file too big")
                : null;
            if (refusal is { } r)
            {
                if (last)
                {
                    _stage = "END-OF-MESSAGE";
                }

                return await RejectMessageAsync(r.Code, r.Enhanced, r.Text).ConfigureAwait(false);
            }

            if (!last)
            {
                return await OkAsync(250, "2.0.0", $"Ok: {size} octets received").ConfigureAwait(false);
            }

            QueuedMessageWriter writer = _chunked;
            HeaderSectionCopy headers = _chunkedHeaders!;
            _chunked = null;
            _chunkedHeaders = null;
            _stage = "END-OF-MESSAGE";
            await using (writer.ConfigureAwait(false))
            {
                return await CommitAsync(writer, headers).ConfigureAwait(false);
            }
        }
        finally
        {
            InData = false;
        }
    }

    private async Task<bool> CommitAsync(QueuedMessageWriter writer, HeaderSectionCopy headers)
    {
        Envelope envelope = _envelope!;
        envelope.ArrivalTime = DateTimeOffset.Now;
        var state = QueueState.Incoming;
        string? heldFor = null;
        if (_options.Authentication is { } authentication)
        {
            AuthenticationOutcome outcome;
            try
            {
                bool trusted = _authUser is not null || _policy.IsInMyNetworks(_client.Address);
                await using (Stream written = writer.OpenWrittenContent())
                {
                    outcome = await authentication.ProcessAsync(written, _client.Address, _helo ?? "", envelope.Sender, trusted,
                        mtaListener: !_options.RequireAuthentication, _aborting).ConfigureAwait(false);
                }

                await writer.PrependAsync(outcome.Headers, CancellationToken.None, outcome.ForgedHeaders).ConfigureAwait(false);
            }
            catch (IOException)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
                return await FailTransactionAsync(451, "4.3.0", "Error: queue file write error").ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A fault in the checks must never cost the session or the message: the client retries later (RFC 5321 4.2.5).
                await writer.DisposeAsync().ConfigureAwait(false);
                return await FailTransactionAsync(451, "4.3.0", $"Error: message authentication failed ({e.GetType().Name})").ConfigureAwait(false);
            }

            if (outcome.Verdicts is { } verdicts)
            {
                Notify(SmtpSessionEventKind.MessageAuthenticated, null, envelope, verdicts: verdicts);
            }

            if (outcome.Refusal is { } refusal)
            {
                // As for content refusals: the temporary file goes before the reply, so the refused message leaves nothing behind.
                await writer.DisposeAsync().ConfigureAwait(false);
                return await RejectMessageAsync(refusal.Code, refusal.EnhancedCode, refusal.Text).ConfigureAwait(false);
            }

            if (outcome.Hold)
            {
                state = QueueState.Hold;
                heldFor = outcome.Verdicts?.Dmarc.FromDomain;
            }
        }

        // RFC 3463 X.2.2: no recipient's mailbox has room for it; refused now rather than bounced later.
        if (await CheckMessageRoomAsync(writer, envelope).ConfigureAwait(false) is { IsAccepted: false } noRoom)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            return await RejectMessageAsync(noRoom.Code, noRoom.EnhancedCode, noRoom.Text).ConfigureAwait(false);
        }

        try
        {
            // Durable first, 250 after: the one promise SMTP makes (RFC 5321 6.1).
            await writer.CommitAsync(envelope, CancellationToken.None, state).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return await FailTransactionAsync(451, "4.3.0", "Error: queue file write error").ConfigureAwait(false);
        }

        Notify(SmtpSessionEventKind.Queued, writer.QueueId, envelope, messageId: headers.MessageId());
        if (state == QueueState.Hold)
        {
            // RFC 7489 6.6.3 quarantine (or a reject turned into quarantine): logged as cleanup logs a HOLD action.
            Notify(SmtpSessionEventKind.Held, $"Email quarantined per DMARC policy for {heldFor}", envelope, sender: envelope.Sender,
                recipient: envelope.Recipients.LastOrDefault()?.Address);
        }

        _envelope = null;
        _queueId = null;
        await ReplyAsync($"250 2.0.0 Ok: queued as {writer.QueueId}").ConfigureAwait(false);
        return true;
    }

    private async Task<PolicyDecision> CheckMessageRoomAsync(QueuedMessageWriter writer, Envelope envelope)
    {
        try
        {
            long length;
            await using (Stream written = writer.OpenWrittenContent())
            {
                length = written.Length;
            }

            return await _policy.CheckMessageRoomAsync(envelope.Recipients.Select(r => r.Address).ToList(), length, writer.OpenWrittenContent, _aborting)
                .ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The mailboxes could not be asked: the message is queued, and delivery checks the quota again.
            return PolicyDecision.Accept;
        }
    }

    /// <summary>
    /// Refuses a message after its data (content, size, DMARC): smtpd's "QUEUEID: reject: END-OF-MESSAGE from ...; from=&lt;s&gt;
    /// to=&lt;r&gt;" line, which pflogsumm counts as a reject, then the transaction is forgotten.
    /// </summary>
    private async Task<bool> RejectMessageAsync(int code, string enhancedCode, string text)
    {
        Envelope? envelope = _envelope;
        string? queueId = _queueId;
        await ResetTransactionAsync().ConfigureAwait(false);
        return await RefuseAsync(code, enhancedCode, text, policy: true, envelope?.Sender, envelope?.Recipients.LastOrDefault()?.Address, envelope, queueId).ConfigureAwait(false);
    }

    private async Task<bool> FailTransactionAsync(int code, string enhancedCode, string text)
    {
        await ResetTransactionAsync().ConfigureAwait(false);
        return await ErrorAsync(code, enhancedCode, text).ConfigureAwait(false);
    }

    private async Task SkipAsync(long size)
    {
        while (size > 0)
        {
            if (_input.BufferedCount == 0 && await FillDataAsync().ConfigureAwait(false) == 0)
            {
                throw new EndOfStreamException();
            }

            int take = (int)Math.Min(_input.BufferedCount, size);
            _input.Consume(take);
            size -= take;
        }
    }

    private async Task<bool> VerifyAsync(string argument)
    {
        if (!_options.EnableVrfy)
        {
            // RFC 5321 3.5.3: 252 when the server will not say whether a user exists.
            return await OkAsync(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery").ConfigureAwait(false);
        }

        string address = argument.Trim('<', '>', ' ');
        if (address.Length == 0)
        {
            return await ErrorAsync(501, "5.5.4", "Syntax: VRFY address").ConfigureAwait(false);
        }

        PolicyDecision decision = _policy.CheckRecipient(address, IPAddress.None, null);
        return decision.IsAccepted
            ? await OkAsync(250, "2.0.0", $"<{address}>").ConfigureAwait(false)
            : await RejectAsync(decision.Code, decision.EnhancedCode, decision.Text, null, address).ConfigureAwait(false);
    }

    private async Task<bool> StartTlsAsync(string argument)
    {
        if (argument.Length > 0)
        {
            return await ErrorAsync(501, "5.5.4", "Syntax: STARTTLS").ConfigureAwait(false);
        }

        if (_tls)
        {
            return await ErrorAsync(503, "5.5.1", "Error: TLS already active").ConfigureAwait(false);
        }

        if (_options.Certificate is null)
        {
            return await ErrorAsync(502, "5.5.1", "Error: command not implemented").ConfigureAwait(false);
        }

        await ReplyAsync("220 2.0.0 Ready to start TLS").ConfigureAwait(false);
        if (!await HandshakeAsync().ConfigureAwait(false))
        {
            _commandFailed = true;
            return false;
        }

        // RFC 3207 4.2: forget everything learnt before TLS, EHLO included.
        await ResetTransactionAsync().ConfigureAwait(false);
        _helo = null;
        _esmtp = false;
        _authUser = null;
        _authMethod = null;
        return true;
    }

    private async Task<bool> HandshakeAsync()
    {
        var (tls, failure) = await TlsHandshake.AsServerAsync(_stream, _options.Certificate, _options.CommandTimeout, _stopping).ConfigureAwait(false);
        if (tls is null)
        {
            Notify(SmtpSessionEventKind.Lost, $"TLS handshake failed: {failure}", loss: SmtpSessionLoss.TlsHandshakeFailed);
            return false;
        }

        _stream = tls;
        _input = new LineInput(tls);
        _tls = true;
        Notify(SmtpSessionEventKind.TlsEstablished, $"{tls.SslProtocol} with cipher {tls.NegotiatedCipherSuite}");
        return true;
    }

    private async Task<bool> AuthenticateAsync(string argument)
    {
        if (_authenticator is null)
        {
            return await ErrorAsync(503, "5.5.1", "Error: authentication not enabled").ConfigureAwait(false);
        }

        if (_authUser is not null)
        {
            return await ErrorAsync(503, "5.5.1", "Error: already authenticated").ConfigureAwait(false);
        }

        if (_envelope is not null)
        {
            return await ErrorAsync(503, "5.5.1", "Error: MAIL transaction in progress").ConfigureAwait(false);
        }

        if (!AuthenticationOffered)
        {
            // RFC 4954 6: passwords travel only over TLS.
            return await ErrorAsync(538, "5.7.11", "Encryption required for requested authentication mechanism").ConfigureAwait(false);
        }

        string[] words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is 0 or > 2)
        {
            return await ErrorAsync(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]").ConfigureAwait(false);
        }

        SaslResult sasl = await SaslExchange.RunAsync(words[0], words.Length == 2 ? words[1] : null, ChallengeAsync).ConfigureAwait(false);
        switch (sasl.Status)
        {
            case SaslStatus.Unsupported:
                return await ErrorAsync(504, "5.5.4", "Unsupported authentication mechanism").ConfigureAwait(false);
            case SaslStatus.Aborted:
                return await ErrorAsync(501, "5.7.0", "Authentication aborted or malformed").ConfigureAwait(false);
            case SaslStatus.Malformed:
                await AuthFailureDelayAsync().ConfigureAwait(false);
                return await ErrorAsync(535, "5.7.8", "Error: authentication failed").ConfigureAwait(false);
        }

        string mechanism = sasl.Mechanism;
        string user = sasl.User;
        string password = sasl.Password;
        if (user.Length == 0 || !await _authenticator.AuthenticateAsync(user, password, _stopping).ConfigureAwait(false))
        {
            Notify(SmtpSessionEventKind.AuthenticationFailed, $"SASL {mechanism} authentication failed", saslMethod: mechanism);
            await AuthFailureDelayAsync().ConfigureAwait(false);
            return await ErrorAsync(535, "5.7.8", "Error: authentication failed").ConfigureAwait(false);
        }

        _authUser = user;
        _authMethod = mechanism;
        Notify(SmtpSessionEventKind.Authenticated, $"sasl_method={mechanism}, sasl_username={user}");
        return await OkAsync(235, "2.7.0", "Authentication successful").ConfigureAwait(false);
    }

    /// <summary>
    /// Waits before a failed AUTH is answered, so that guessing passwords is slow (Postfix's smtpd_error_sleep_time,
    /// Dovecot's auth_failure_delay); an await, so other sessions go on. A stop cuts it short.
    /// </summary>
    private async Task AuthFailureDelayAsync()
    {
        try
        {
            // Timers may fire a little early: wait again until the whole delay has passed.
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (waited.Elapsed < _options.AuthFailureDelay)
            {
                await Task.Delay(_options.AuthFailureDelay - waited.Elapsed + TimeSpan.FromMilliseconds(1), _stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: the reply goes out at once and the next command read ends the session.
        }
    }

    /// <summary>
    /// The client's forward-confirmed reverse DNS name (PTR, then A/AAAA back to the address, as Postfix's smtpd
    /// verifies it); <c>unknown</c> when there is none or DNS fails. With the system resolver, /etc/hosts answers
    /// first, as the C library's "files dns" order does for Postfix (127.0.0.1 is "localhost" without asking DNS).
    /// </summary>
    private async Task<string> LookupClientNameAsync()
    {
        if (_options.Resolver is null || !_options.ClientNameLookup)
        {
            return "unknown";
        }

        if (_options.Resolver.UsesSystemConfiguration && MailOps.Dns.HostsFile.System.NameOf(_client.Address) is { } listed)
        {
            return listed;
        }

        try
        {
            var name = await MailOps.Dns.ForwardConfirmedReverseDns.LookupAsync(_options.Resolver, _client.Address, _stopping).ConfigureAwait(false);
            return name.ConfirmedName ?? "unknown";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return "unknown";
        }
    }

    /// <summary>
    /// The 554 text when the client is on one of the configured DNS blocklists (Postfix's reject_rbl_client with its
    /// default_rbl_reply); null when it is not, is trusted, or the lists cannot be asked. Asked once per session.
    /// </summary>
    private async Task<string?> BlocklistedAsync()
    {
        if (_blocklistChecked || _options.Resolver is null || _options.Blocklists.Count == 0 || _options.RequireAuthentication
            || _authUser is not null || _policy.IsInMyNetworks(_client.Address))
        {
            return _blocklisted;
        }

        _blocklistChecked = true;
        foreach (string zone in _options.Blocklists)
        {
            var entry = await MailOps.Dns.BlocklistCheck.LookupAsync(_options.Resolver, _client.Address, zone, _clientName, _stopping).ConfigureAwait(false);
            if (entry.Listed)
            {
                // Postfix's default_rbl_reply: "Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}".
                _blocklisted = $"Service unavailable; Client host [{_client.Address}] blocked using {zone}" + (entry.Reason is null ? "" : $"; {entry.Reason}");
                break;
            }
        }

        return _blocklisted;
    }

    /// <summary>Sends a 334 challenge and returns the answer line; null when the line cannot be used.</summary>
    private async Task<string?> ChallengeAsync(string challenge)
    {
        await ReplyAsync($"334 {challenge}").ConfigureAwait(false);
        var (end, line) = await ReadLineAsync(AuthLineLimit).ConfigureAwait(false);
        if (end == LineEnd.EndOfStream)
        {
            throw new EndOfStreamException();
        }

        if (end != LineEnd.CrLf && !(end == LineEnd.BareLf && _options.AcceptBareLineFeedInCommands))
        {
            return null;
        }

        return Encoding.ASCII.GetString(line);
    }

    /// <summary>RFC 3461 4.1: NEVER alone, or a list of SUCCESS, FAILURE and DELAY.</summary>
    private static bool IsValidNotify(string value)
    {
        string[] words = value.ToUpperInvariant().Split(',');
        if (words.Length == 1 && words[0] == "NEVER")
        {
            return true;
        }

        return words.All(w => w is "SUCCESS" or "FAILURE" or "DELAY") && words.Distinct().Count() == words.Length;
    }

    private void WriteReceivedHeader(Stream content, string queueId)
    {
        Envelope envelope = _envelope!;
        // RFC 3848: ESMTP, ESMTPS (TLS), ESMTPA (AUTH), ESMTPSA (both).
        string protocol = !_esmtp ? "SMTP" : "ESMTP" + (_tls ? "S" : "") + (_authUser is not null ? "A" : "");
        var header = new StringBuilder();
        header.Append("Received: from ").Append(Printable(_helo ?? "unknown"))
            .Append(" (").Append(envelope.ClientName).Append(" [").Append(envelope.ClientAddress).Append("])\r\n")
            .Append("\tby ").Append(_options.HostName).Append(" (MailOps) with ").Append(protocol).Append(" id ").Append(queueId);
        // RFC 5321 4.4: "for" names the recipient only when there is one, so Bcc recipients stay private.
        if (envelope.Recipients.Count == 1)
        {
            header.Append("\r\n\tfor <").Append(Printable(envelope.Recipients[0].Address)).Append('>');
        }

        header.Append("; ").Append(MimeKit.Utils.DateUtils.FormatDate(DateTimeOffset.Now)).Append("\r\n");
        content.Write(Encoding.UTF8.GetBytes(header.ToString()));
    }

    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));

    private async Task ResetTransactionAsync()
    {
        _envelope = null;
        _queueId = null;
        _chunkedHeaders = null;
        _chunkCheck = null;
        if (_chunked is not null)
        {
            QueuedMessageWriter chunked = _chunked;
            _chunked = null;
            await chunked.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask<(LineEnd End, byte[] Line)> ReadLineAsync(int limit)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        timeout.CancelAfter(_options.CommandTimeout);
        try
        {
            return await _input.ReadLineAsync(limit, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw Ended(_stopping.IsCancellationRequested);
        }
    }

    private async ValueTask<int> FillDataAsync()
    {
        // A graceful stop lets message data finish; only the abort deadline or the DATA timeout cuts it.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_aborting);
        timeout.CancelAfter(_options.DataTimeout);
        try
        {
            return await _input.FillAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw Ended(_aborting.IsCancellationRequested);
        }
    }

    private SessionEndException Ended(bool shutdown) => shutdown
        ? new SessionEndException($"421 4.3.2 {_options.HostName} Service shutting down, closing transmission channel", SmtpSessionLoss.ShuttingDown)
        : new SessionEndException($"421 4.4.2 {_options.HostName} Error: timeout exceeded", SmtpSessionLoss.Timeout);

    private async Task<bool> OkAsync(int code, string enhancedCode, string text)
    {
        await ReplyAsync($"{code} {enhancedCode} {text}").ConfigureAwait(false);
        return true;
    }

    /// <summary>A protocol error: refused and counted, but not a "reject:" line in smtpd's log.</summary>
    private Task<bool> ErrorAsync(int code, string enhancedCode, string text) =>
        RefuseAsync(code, enhancedCode, text, policy: false, sender: null, recipient: null);

    /// <summary>A policy decision refused the command: smtpd logs it as "reject:" with the sender and recipient.</summary>
    private Task<bool> RejectAsync(int code, string enhancedCode, string text, string? sender, string? recipient = null) =>
        RefuseAsync(code, enhancedCode, text, policy: true, sender, recipient);

    private async Task<bool> RefuseAsync(int code, string enhancedCode, string text, bool policy, string? sender, string? recipient,
        Envelope? envelope = null, string? queueId = null)
    {
        string reply = $"{code} {enhancedCode} {text}";
        _commandFailed = true;
        envelope ??= _envelope;
        Notify(SmtpSessionEventKind.Rejected, reply, envelope, policy, sender ?? envelope?.Sender, recipient, queueId: queueId);
        await ReplyAsync(reply).ConfigureAwait(false);
        if (++_errors >= _options.MaxErrors)
        {
            throw new SessionEndException($"421 4.7.0 {_options.HostName} Error: too many errors", SmtpSessionLoss.TooManyErrors);
        }

        return true;
    }

    private async Task ReplyAsync(string reply)
    {
        using var timeout = new CancellationTokenSource(_options.CommandTimeout);
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"), timeout.Token).ConfigureAwait(false);
        await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
    }

    private void Notify(
        SmtpSessionEventKind kind,
        string? text,
        Envelope? envelope = null,
        bool policy = false,
        string? sender = null,
        string? recipient = null,
        string? messageId = null,
        string? saslMethod = null,
        SmtpSessionLoss loss = SmtpSessionLoss.LostConnection,
        SmtpCommandTally? commands = null,
        string? queueId = null,
        MailOps.Authentication.MessageAuthenticationResult? verdicts = null)
    {
        if (_observer is null)
        {
            return;
        }

        try
        {
            _observer.OnEvent(new SmtpSessionEvent(kind, _client, _helo, text, envelope)
            {
                Stage = _stage,
                Protocol = _esmtp ? "ESMTP" : "SMTP",
                Sender = sender ?? envelope?.Sender,
                Recipient = recipient,
                QueueId = queueId ?? _queueId,
                IsPolicyReject = policy,
                SaslMethod = saslMethod ?? _authMethod,
                SaslUsername = _authUser,
                MessageId = messageId,
                Loss = loss,
                Commands = commands,
                ClientName = _clientName,
                Service = _options.ServiceName,
                Verdicts = verdicts,
                HostName = _options.HostName,
            });
        }
        catch (Exception)
        {
            // A broken log writer must not break mail.
        }
    }

    private sealed class SessionEndException(string reply, SmtpSessionLoss loss) : Exception(reply)
    {
        public SmtpSessionLoss Loss { get; } = loss;
    }
}
