using System.Net;
using System.Text;
using MailOps.Engine.Auth;
using MailOps.Engine.Listeners;
using MailOps.Engine.Logging;
using MailOps.Engine.Store;

namespace MailOps.Engine.Imap;

/// <summary>
/// One IMAP4rev1 server session (RFC 3501) over a user's folders in the mail store, with the extensions listed in
/// <see cref="Capabilities"/>. Commands are read whole, literals included (<see cref="ImapCommandReader"/>), and parsed by
/// <see cref="ImapParser"/>; one command is answered at a time, in order, so pipelined commands are fine. Whatever the
/// client sends, the session answers (BAD for what the grammar does not allow) or ends; it never throws.
/// </summary>
internal sealed partial class ImapSession : LoginSession
{
    // The session whose command is running in this async flow: a store change it makes carries it to the watchers.
    private static readonly AsyncLocal<ImapSession?> Acting = new();

    private readonly ImapSessionOptions _options;
    private readonly IMailStore _store;
    private readonly IMailAuthenticator _authenticator;
    private readonly ImapSessionLog? _log;
    private readonly ImapSessionTally _tally = new();
    private readonly ImapCommandReader _reader;
    private readonly MemoryStream _output = new();

    private int _badCommands;
    private bool _loggedOut;

    // The AUTHENTICATED state.
    private string? _user;
    private IMailAccount? _account;

    public ImapSession(Stream stream, IPEndPoint client, IPEndPoint local, ImapSessionOptions options, IMailStore store, IMailAuthenticator authenticator,
        LoginFailures failures, UserConnectionCounts userConnections, ImapSessionLog? log, CancellationToken stopping, CancellationToken aborting)
        : base(stream, client, local, failures, userConnections, stopping, aborting)
    {
        _options = options;
        _store = store;
        _authenticator = authenticator;
        _log = log;
        _reader = new ImapCommandReader(async line =>
        {
            await WriteLineAsync(line).ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
        });
    }

    private bool PlaintextAuthAllowed => MayAuthenticate(_options.AllowPlaintextAuthOnLoopback);

    private bool CanStartTls => !_tls && _options.Certificate is not null && _user is null;

    /// <summary>What the server offers now (RFC 3501 7.2.1): only what works completely; login-related items only before login.</summary>
    private string Capabilities
    {
        get
        {
            var items = new List<string> { "IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE" };
            if (_user is null)
            {
                if (CanStartTls) items.Add("STARTTLS");
                if (PlaintextAuthAllowed) items.AddRange(SaslExchange.Mechanisms.Select(m => "AUTH=" + m));
                else items.Add("LOGINDISABLED");
            }
            else
            {
                items.AddRange(["NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "ESEARCH", "SORT", "BINARY", "COMPRESS=DEFLATE"]);
                items.AddRange(ImapThread.Algorithms.Select(a => "THREAD=" + a));
                items.AddRange(ModSeqCapabilities);
                items.AddRange(QuotaCapabilities);
            }
            return string.Join(' ', items);
        }
    }

    /// <summary>Runs the session to its end.</summary>
    public async Task RunAsync()
    {
        // Marks what this session's commands change, for the watcher of its selected folder (see SelectAsync).
        Acting.Value = this;
        var ending = "Connection closed";
        try
        {
            if (_options.ImplicitTls && !await HandshakeAsync().ConfigureAwait(false)) return;
            await WriteLineAsync($"* OK [CAPABILITY {Capabilities}] MailOps ready.").ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
            while (true)
            {
                var (command, why) = await ReadCommandAsync().ConfigureAwait(false);
                if (why is not null)
                {
                    ending = why;
                    break;
                }
                var more = command is null || await CommandAsync(command).ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
                if (!more)
                {
                    ending = _userLimitReached ?? "Logged out";
                    break;
                }
                if (_badCommands >= _options.MaxBadCommands)
                {
                    await WriteLineAsync("* BYE Too many invalid IMAP commands.").ConfigureAwait(false);
                    await FlushAsync().ConfigureAwait(false);
                    ending = "Too many invalid commands";
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException
            or System.Security.Authentication.AuthenticationException)
        {
            // Lost connection, TLS trouble, a broken COMPRESS stream: the session ends.
        }
        catch (Exception e)
        {
            // A failure no command expects: logged with where it happened (as Dovecot's "Error:" lines), then the session ends.
            ending = "Internal error occurred. Refer to server log for more information.";
            if (_user is not null) _log?.Error(_user, _sessionId, $"{e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            try
            {
                await WriteLineAsync("* BYE " + ending).ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The connection may be what failed.
            }
        }
        finally
        {
            Deselect();
            if (_user is not null) _log?.Disconnected(_user, _sessionId, _loggedOut ? "Logged out" : "Disconnected: " + ending, _tally);
            else _log?.LoginEnded(_lastTriedUser, _lastMethod, _failedAttempts, DateTimeOffset.UtcNow - _started, _client, _local, _sessionId, _tls, ending == "Connection closed" ? null : ending);
            await CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The next command; null with no reason for a line answered already; a reason when the session must end.</summary>
    private async Task<(byte[]? Command, string? Why)> ReadCommandAsync()
    {
        var timeout = _user is null ? _options.LoginTimeout : _options.IdleTimeout;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping, _aborting);
        wait.CancelAfter(timeout);
        try
        {
            var (status, command) = await _reader.ReadAsync(_input, _options.MaxLiteralSize, wait.Token).ConfigureAwait(false);
            _tally.In += command.Length + 2;
            switch (status)
            {
                case ImapReadStatus.EndOfStream:
                    return (null, "Connection closed");
                case ImapReadStatus.LineTooLong:
                    _badCommands++;
                    await WriteLineAsync("* BAD Command line too long.").ConfigureAwait(false);
                    return (null, null);
                case ImapReadStatus.LiteralTooLarge:
                    _badCommands++;
                    await WriteLineAsync($"{TagOf(command)} NO [TOOBIG] Literal too large.").ConfigureAwait(false);
                    return (null, null);
                case ImapReadStatus.NonSyncLiteralTooLarge:
                    // RFC 7888 4: the octets are on their way and cannot be told apart from commands; only closing is safe.
                    await WriteLineAsync("* BYE [TOOBIG] Literal too large.").ConfigureAwait(false);
                    await FlushAsync().ConfigureAwait(false);
                    return (null, "Literal too large");
                default:
                    return (command, null);
            }
        }
        catch (OperationCanceledException)
        {
            if (_stopping.IsCancellationRequested || _aborting.IsCancellationRequested)
            {
                await WriteLineAsync("* BYE Server shutting down.").ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
                return (null, "Server shutting down");
            }
            await WriteLineAsync("* BYE Disconnected for inactivity.").ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
            return (null, $"Inactivity - no input for {(int)timeout.TotalSeconds} secs");
        }
    }

    private static string TagOf(byte[] command)
    {
        try
        {
            return new ImapParser(command).Tag();
        }
        catch (ImapSyntaxException)
        {
            return "*";
        }
    }

    /// <summary>Answers one command; false when the session is over (LOGOUT).</summary>
    private async Task<bool> CommandAsync(byte[] command)
    {
        var parser = new ImapParser(command);
        string tag;
        string name;
        try
        {
            tag = parser.Tag();
            parser.Space();
            name = parser.Atom().ToUpperInvariant();
        }
        catch (ImapSyntaxException)
        {
            _badCommands++;
            await WriteLineAsync(command.Length == 0 ? "* BAD Empty command line." : "* BAD Error in IMAP command received by server.").ConfigureAwait(false);
            return true;
        }
        var uid = false;
        string result;
        try
        {
            if (name == "UID" && _folder is not null)
            {
                parser.Space();
                name = parser.Atom().ToUpperInvariant();
                uid = true;
            }
            result = await DispatchAsync(parser, tag, name, uid).ConfigureAwait(false);
        }
        catch (ImapSyntaxException e)
        {
            result = "BAD " + e.Message;
        }
        catch (ArgumentException e)
        {
            // The store refused a name (a '/', an empty level): the client's mistake, not a reason to end the session.
            result = "NO [CANNOT] " + Printable(e.Message);
        }
        catch (MailQuotaExceededException)
        {
            result = OverQuotaResult;
        }
        catch (Exception e) when (e is MailStoreException or UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
        {
            result = "NO [SERVERBUG] Internal error occurred. Refer to server log for more information.";
        }
        if (result.StartsWith("BAD", StringComparison.Ordinal)) _badCommands++;
        else if (_folder is not null && result.StartsWith("OK", StringComparison.Ordinal))
        {
            // RFC 3501 7.4.1: no EXPUNGE while FETCH, STORE, SEARCH, SORT or THREAD by sequence number is answered.
            await SyncAsync(allowExpunge: uid || name is not ("FETCH" or "STORE" or "SEARCH" or "SORT" or "THREAD"), force: false).ConfigureAwait(false);
        }
        if (result.Length > 0) await WriteLineAsync(tag + " " + WithHighestModSeq(result)).ConfigureAwait(false);
        return !_loggedOut && _userLimitReached is null;
    }

    private Task<string> DispatchAsync(ImapParser p, string tag, string name, bool uid)
    {
        // Any state (RFC 3501 6.1).
        switch (name)
        {
            case "CAPABILITY": return CapabilityAsync(p);
            case "NOOP": return NoopAsync(p);
            case "LOGOUT": return LogoutAsync(p);
            case "ID": return IdAsync(p);
        }
        if (_user is null)
        {
            return name switch
            {
                "STARTTLS" => StartTlsAsync(p, tag),
                "LOGIN" => LoginCommandAsync(p),
                "AUTHENTICATE" => AuthenticateAsync(p),
                _ => Task.FromResult(name is "SELECT" or "EXAMINE" or "LIST" or "LSUB" or "STATUS" or "CREATE" or "DELETE" or "RENAME" or "SUBSCRIBE"
                    or "UNSUBSCRIBE" or "APPEND" or "NAMESPACE" or "ENABLE" or "IDLE" or "COMPRESS" ? "BAD Log in first." : "BAD Error in IMAP command received by server."),
            };
        }
        switch (name)
        {
            case "SELECT": return SelectAsync(p, readOnly: false);
            case "EXAMINE": return SelectAsync(p, readOnly: true);
            case "LIST": return ListAsync(p, subscribedOnly: false);
            case "LSUB": return ListAsync(p, subscribedOnly: true);
            case "STATUS": return StatusAsync(p);
            case "CREATE": return CreateAsync(p);
            case "DELETE": return DeleteAsync(p);
            case "RENAME": return RenameAsync(p);
            case "SUBSCRIBE": return SubscribeAsync(p, subscribe: true);
            case "UNSUBSCRIBE": return SubscribeAsync(p, subscribe: false);
            case "APPEND": return AppendAsync(p);
            case "NAMESPACE": return NamespaceAsync(p);
            case "ENABLE": return EnableAsync(p);
            case "IDLE": return IdleAsync(p, tag);
            case "COMPRESS": return CompressAsync(p, tag);
            case "GETQUOTA" or "GETQUOTAROOT" or "SETQUOTA": return QuotaCommandAsync(p, name);
            case "STARTTLS" or "LOGIN" or "AUTHENTICATE": return Task.FromResult("BAD Already logged in.");
        }
        if (_folder is null)
        {
            return Task.FromResult(name is "CHECK" or "CLOSE" or "UNSELECT" or "EXPUNGE" or "SEARCH" or "FETCH" or "STORE" or "COPY" or "MOVE" or "UID" or "SORT" or "THREAD"
                ? "BAD No mailbox selected." : "BAD Error in IMAP command received by server.");
        }
        return name switch
        {
            "CHECK" => CheckAsync(p),
            "CLOSE" when !uid => CloseAsync(p, expunge: true),
            "UNSELECT" when !uid => CloseAsync(p, expunge: false),
            "EXPUNGE" => ExpungeCommandAsync(p, uid),
            "SEARCH" => SearchAsync(p, uid, tag),
            "SORT" => SortAsync(p, uid),
            "THREAD" => ThreadAsync(p, uid),
            "FETCH" => FetchAsync(p, uid),
            "STORE" => StoreAsync(p, uid),
            "COPY" => CopyAsync(p, uid, move: false),
            "MOVE" => CopyAsync(p, uid, move: true),
            _ => Task.FromResult("BAD Error in IMAP command received by server."),
        };
    }

    private async Task<string> CapabilityAsync(ImapParser p)
    {
        p.End();
        await WriteLineAsync("* CAPABILITY " + Capabilities).ConfigureAwait(false);
        return "OK Capability completed.";
    }

    private async Task<string> NoopAsync(ImapParser p)
    {
        p.End();
        if (_folder is not null) await SyncAsync(allowExpunge: true, force: true).ConfigureAwait(false);
        return "OK NOOP completed.";
    }

    private async Task<string> LogoutAsync(ImapParser p)
    {
        p.End();
        await WriteLineAsync("* BYE Logging out").ConfigureAwait(false);
        _loggedOut = true;
        return "OK Logout completed.";
    }

    // RFC 2971: the server says who it is; what the client says is not kept.
    private async Task<string> IdAsync(ImapParser p)
    {
        p.Space();
        if (p.TryChar('('))
        {
            while (!p.TryChar(')'))
            {
                p.TryChar(' ');
                if (p.Peek is 'N' or 'n') p.Atom();
                else p.String();
            }
        }
        else if (p.Atom().ToUpperInvariant() != "NIL") throw new ImapSyntaxException("Expected a list or NIL.");
        p.End();
        await WriteLineAsync("* ID (\"name\" \"MailOps\" \"vendor\" \"MailOps\")").ConfigureAwait(false);
        return "OK ID completed.";
    }

    private async Task<string> StartTlsAsync(ImapParser p, string tag)
    {
        p.End();
        if (_tls) return "BAD TLS is already active.";
        if (!CanStartTls) return "BAD TLS support isn't enabled.";
        await WriteLineAsync(tag + " OK Begin TLS negotiation now.").ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
        // RFC 3501 6.2.1: TLS starts right after the tagged OK; CVE-2011-0411: what was pipelined behind it is dropped.
        if (!await HandshakeAsync().ConfigureAwait(false)) throw new EndOfStreamException("TLS handshake failed");
        return "";
    }

    // RFC 4978 3: compression starts right after the tagged OK, in both directions; Dovecot's texts.
    private async Task<string> CompressAsync(ImapParser p, string tag)
    {
        p.Space();
        var mechanism = p.Atom();
        p.End();
        if (_compressed) return "NO [COMPRESSIONACTIVE] COMPRESSION=DEFLATE already enabled.";
        if (!mechanism.Equals("DEFLATE", StringComparison.OrdinalIgnoreCase)) return "NO Unknown compression mechanism.";
        await WriteLineAsync(tag + " OK Begin compression.").ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
        StartCompression();
        return "";
    }

    private Task<bool> HandshakeAsync() => HandshakeAsync(_options.Certificate, _options.LoginTimeout);

    private async Task<string> LoginCommandAsync(ImapParser p)
    {
        p.Space();
        var user = p.AStringText();
        p.Space();
        var password = p.AStringText();
        p.End();
        // RFC 3501 6.2.3: LOGIN is refused while LOGINDISABLED is advertised.
        if (!PlaintextAuthAllowed) return "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
        return await LoginAsync(user, password, "PLAIN").ConfigureAwait(false);
    }

    private async Task<string> AuthenticateAsync(ImapParser p)
    {
        p.Space();
        var mechanism = p.Atom();
        string? initial = null;
        if (p.TryChar(' ')) initial = Encoding.ASCII.GetString(p.AString()); // RFC 4959: SASL-IR
        p.End();
        if (!PlaintextAuthAllowed) return "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
        var sasl = await SaslExchange.RunAsync(mechanism, initial, ChallengeAsync).ConfigureAwait(false);
        return sasl.Status switch
        {
            SaslStatus.Unsupported => "NO Unsupported authentication mechanism.",
            SaslStatus.Aborted => "BAD Authentication aborted by client.",
            SaslStatus.Malformed => await RefuseLoginAsync(sasl.Mechanism, null).ConfigureAwait(false),
            _ => await LoginAsync(sasl.User, sasl.Password, sasl.Mechanism).ConfigureAwait(false),
        };
    }

    // RFC 3501 6.2.2: "+ " and the base64 challenge; the answer is one line.
    private async Task<string?> ChallengeAsync(string challenge)
    {
        await WriteLineAsync("+ " + challenge).ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping, _aborting);
        wait.CancelAfter(_options.LoginTimeout);
        var (end, line) = await _input.ReadLineAsync(ImapCommandReader.LineLimit, wait.Token).ConfigureAwait(false);
        if (end == LineEnd.EndOfStream) throw new EndOfStreamException("Connection closed");
        return end is LineEnd.CrLf or LineEnd.BareLf ? Encoding.ASCII.GetString(line) : null;
    }

    private async Task<string> LoginAsync(string user, string password, string method)
    {
        Trying(user, method);
        if (LoginBlocked())
        {
            return "NO [UNAVAILABLE] Too many failed logins from your address; try again later.";
        }
        if (user.Length == 0 || !await _authenticator.AuthenticateAsync(user, password, _stopping).ConfigureAwait(false))
            return await RefuseLoginAsync(method, user).ConfigureAwait(false);
        var name = user.ToLowerInvariant();
        // Dovecot's imap-login answers this and disconnects.
        if (!TryCountUser("imap", name)) return "NO [LIMIT] " + _userLimitReached;
        IMailAccount account;
        try
        {
            account = _store.Open(name);
            // RFC 6154: the special-use folders exist for every user, as Dovecot's "auto = subscribe" makes them.
            foreach (var folder in _options.SpecialUseFolders.Where(f => !account.FolderExists(f)))
                await account.CreateFolderAsync(folder, subscribe: true, _stopping).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            UncountUser();
            return await RefuseLoginAsync(method, user).ConfigureAwait(false);
        }
        catch (MailFolderExistsException)
        {
            account = _store.Open(name);
        }
        _account = account;
        _user = name;
        _badCommands = 0;
        _log?.Login(name, method, _client, _local, _sessionId, _tls);
        return $"OK [CAPABILITY {Capabilities}] Logged in";
    }

    private async Task<string> RefuseLoginAsync(string method, string? user)
    {
        await LoginFailedAsync(method, user).ConfigureAwait(false);
        return "NO [AUTHENTICATIONFAILED] Authentication failed.";
    }

    private async Task<string> NamespaceAsync(ImapParser p)
    {
        p.End();
        // RFC 2342: one personal namespace, no prefix, '.' between levels (Dovecot's Maildir++ default).
        await WriteLineAsync("* NAMESPACE ((\"\" \".\")) NIL NIL").ConfigureAwait(false);
        return "OK Namespace completed.";
    }

    // RFC 5161: CONDSTORE and QRESYNC (RFC 7162) are the extensions that need enabling; others are ignored.
    private async Task<string> EnableAsync(ImapParser p)
    {
        p.Space();
        var names = new List<string>();
        do names.Add(p.Atom());
        while (p.TryChar(' '));
        p.End();
        var enabled = await EnableModSeqAsync(names).ConfigureAwait(false);
        await WriteLineAsync("* ENABLED" + string.Concat(enabled.Select(e => " " + e))).ConfigureAwait(false);
        return "OK Enabled.";
    }

    private async Task WriteLineAsync(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        _output.Write(bytes);
        if (_output.Length > 64 * 1024) await FlushAsync().ConfigureAwait(false);
    }

    private async Task WriteAsync(ImapResponse response)
    {
        _output.Write(response.Bytes.Span);
        _output.Write("\r\n"u8);
        if (_output.Length > 64 * 1024) await FlushAsync().ConfigureAwait(false);
    }

    private async Task FlushAsync()
    {
        if (_output.Length == 0) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_aborting);
        timeout.CancelAfter(_options.IdleTimeout);
        _tally.Out += _output.Length;
        await _stream.WriteAsync(_output.GetBuffer().AsMemory(0, (int)_output.Length), timeout.Token).ConfigureAwait(false);
        await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
        _output.SetLength(0);
    }
}
