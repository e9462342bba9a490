using System.Globalization;
using System.Net;
using System.Text;
using MailOps.Engine.Auth;
using MailOps.Engine.Listeners;
using MailOps.Engine.Logging;
using MailOps.Engine.Store;

namespace MailOps.Engine.Pop3;

/// <summary>
/// One POP3 server session (RFC 1939) with CAPA (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034), RESP-CODES and
/// AUTH-RESP-CODE (RFC 2449 8, RFC 3206), over the user's INBOX in the mail store. Commands are read one line at a
/// time from a buffer, so a client may pipeline them (RFC 2449 6.6). Whatever the client sends, the session answers or
/// ends; it never throws.
/// </summary>
internal sealed class Pop3Session : LoginSession
{
    private const int CommandLineLimit = 253; // RFC 2449 4: 255 octets including CRLF
    private const int AuthLineLimit = 12288; // RFC 5034 4: the limit does not bind SASL responses; Dovecot's is as large

    private readonly Pop3SessionOptions _options;
    private readonly IMailStore _store;
    private readonly IMailAuthenticator _authenticator;
    private readonly Pop3SessionLog? _log;
    private readonly Pop3SessionTally _tally = new();

    private int _badCommands;
    private string? _pendingUser;

    // The TRANSACTION state: who, which folder (locked for this session), its messages at login and what was done to them.
    private string? _user;
    private IMailFolder? _folder;
    private IDisposable? _folderLock;
    private uint _uidValidity;
    private IReadOnlyList<StoredMessage> _messages = [];
    private bool[] _deleted = [];
    private readonly HashSet<int> _retrieved = [];

    public Pop3Session(Stream stream, IPEndPoint client, IPEndPoint local, Pop3SessionOptions options, IMailStore store, IMailAuthenticator authenticator,
        LoginFailures failures, UserConnectionCounts userConnections, Pop3SessionLog? log, CancellationToken stopping, CancellationToken aborting)
        : base(stream, client, local, failures, userConnections, stopping, aborting)
    {
        _options = options;
        _store = store;
        _authenticator = authenticator;
        _log = log;
    }

    private bool PlaintextAuthAllowed => MayAuthenticate(_options.AllowPlaintextAuthOnLoopback);

    private bool CanStartTls => !_tls && _options.Certificate is not null && _user is null;

    /// <summary>Runs the session to its end.</summary>
    public async Task RunAsync()
    {
        var ending = "Connection closed";
        string? loginReason = null;
        try
        {
            if (_options.ImplicitTls && !await HandshakeAsync().ConfigureAwait(false)) return;
            await ReplyAsync("+OK MailOps ready.").ConfigureAwait(false);
            while (true)
            {
                var (end, line, why) = await ReadCommandAsync().ConfigureAwait(false);
                if (why is not null)
                {
                    ending = why;
                    loginReason = why;
                    break;
                }
                if (!await CommandAsync(end, line).ConfigureAwait(false))
                {
                    ending = _user is null ? "Connection closed" : "Logged out";
                    break;
                }
                if (_badCommands >= _options.MaxBadCommands)
                {
                    await ReplyAsync("-ERR Too many bad commands.").ConfigureAwait(false);
                    ending = loginReason = "Too many bad commands";
                    break;
                }
            }
        }
        catch (Exception)
        {
            // Lost connection, TLS trouble, anything: the session ends; nothing marked for deletion is deleted.
        }
        finally
        {
            if (_user is not null) _log?.Disconnected(_user, _sessionId, ending, _tally);
            else _log?.LoginEnded(_lastTriedUser, _lastMethod, _failedAttempts, DateTimeOffset.UtcNow - _started, _client, _local, _sessionId, _tls, loginReason ?? _userLimitReached);
            _folderLock?.Dispose();
            await CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The next command line; a reason instead when the session must end (timeout, stop).</summary>
    private async Task<(LineEnd End, byte[] Line, string? Why)> ReadCommandAsync()
    {
        var timeout = _user is null ? _options.LoginTimeout : _options.IdleTimeout;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping, _aborting);
        wait.CancelAfter(timeout);
        try
        {
            var (end, line) = await _input.ReadLineAsync(AuthLineLimit, wait.Token).ConfigureAwait(false);
            if (end == LineEnd.EndOfStream) return (end, line, "Connection closed");
            return (end, line, null);
        }
        catch (OperationCanceledException)
        {
            if (_stopping.IsCancellationRequested || _aborting.IsCancellationRequested)
            {
                await ReplyAsync("-ERR [SYS/TEMP] Server shutting down.").ConfigureAwait(false);
                return (LineEnd.EndOfStream, [], "Server shutting down");
            }
            await ReplyAsync("-ERR Disconnected for inactivity.").ConfigureAwait(false);
            return (LineEnd.EndOfStream, [], $"Inactivity - no input for {(int)timeout.TotalSeconds} secs");
        }
    }

    /// <summary>Answers one command line; false when the session is over.</summary>
    private async Task<bool> CommandAsync(LineEnd end, byte[] bytes)
    {
        if (end == LineEnd.TooLong) return await BadAsync("-ERR Input line too long.").ConfigureAwait(false);
        if (bytes.AsSpan().IndexOf((byte)0) >= 0) return await BadAsync("-ERR NUL character in command.").ConfigureAwait(false);
        var line = Encoding.UTF8.GetString(bytes);
        var space = line.IndexOf(' ');
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : line[(space + 1)..];
        if (bytes.Length > CommandLineLimit && verb != "AUTH") return await BadAsync("-ERR Input line too long.").ConfigureAwait(false);

        if (verb == "QUIT") return await QuitAsync(argument).ConfigureAwait(false);
        if (verb == "CAPA") return await CapabilitiesAsync().ConfigureAwait(false);
        if (verb == "NOOP" && _user is not null) return await ReplyAsync(argument.Length == 0 ? "+OK" : "-ERR NOOP takes no argument.").ConfigureAwait(false);
        if (_user is null)
        {
            return verb switch
            {
                "USER" => await UserAsync(argument).ConfigureAwait(false),
                "PASS" => await PassAsync(argument).ConfigureAwait(false),
                "AUTH" => await AuthAsync(argument).ConfigureAwait(false),
                "STLS" => await StartTlsAsync(argument).ConfigureAwait(false),
                "APOP" => await BadAsync("-ERR APOP is not offered.").ConfigureAwait(false),
                _ => await BadAsync("-ERR Unknown command.").ConfigureAwait(false),
            };
        }
        return verb switch
        {
            "STAT" => await StatAsync(argument).ConfigureAwait(false),
            "LIST" => await ListAsync(argument, uidl: false).ConfigureAwait(false),
            "UIDL" => await ListAsync(argument, uidl: true).ConfigureAwait(false),
            "RETR" => await RetrieveAsync(argument).ConfigureAwait(false),
            "TOP" => await TopAsync(argument).ConfigureAwait(false),
            "DELE" => await DeleteAsync(argument).ConfigureAwait(false),
            "RSET" => await ResetAsync(argument).ConfigureAwait(false),
            "USER" or "PASS" or "AUTH" or "STLS" or "APOP" => await BadAsync("-ERR Already logged in.").ConfigureAwait(false),
            _ => await BadAsync($"-ERR Unknown command: {Printable(verb)}").ConfigureAwait(false),
        };
    }

    // RFC 2449 5: the capabilities of the current state; those that need TLS first are left out until it is there.
    private async Task<bool> CapabilitiesAsync()
    {
        var lines = new List<string> { "+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING" };
        if (_user is null)
        {
            if (CanStartTls) lines.Add("STLS");
            if (PlaintextAuthAllowed)
            {
                lines.Add("USER");
                lines.Add("SASL " + string.Join(' ', SaslExchange.Mechanisms));
            }
        }
        lines.Add("IMPLEMENTATION MailOps");
        lines.Add(".");
        return await ReplyAsync(string.Join("\r\n", lines)).ConfigureAwait(false);
    }

    private async Task<bool> StartTlsAsync(string argument)
    {
        if (argument.Length > 0) return await BadAsync("-ERR STLS takes no argument.").ConfigureAwait(false);
        if (_tls) return await BadAsync("-ERR TLS is already active.").ConfigureAwait(false);
        if (!CanStartTls) return await BadAsync("-ERR TLS is not offered.").ConfigureAwait(false);
        await ReplyAsync("+OK Begin TLS negotiation now.").ConfigureAwait(false);
        if (!await HandshakeAsync().ConfigureAwait(false)) return false;
        // RFC 2595 4: what the client said before TLS is forgotten.
        _pendingUser = null;
        return true;
    }

    private Task<bool> HandshakeAsync() => HandshakeAsync(_options.Certificate, _options.LoginTimeout);

    private async Task<bool> UserAsync(string argument)
    {
        if (!PlaintextAuthAllowed)
            return await BadAsync("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.").ConfigureAwait(false);
        if (argument.Length == 0) return await BadAsync("-ERR USER needs a name.").ConfigureAwait(false);
        _pendingUser = argument;
        return await ReplyAsync("+OK").ConfigureAwait(false);
    }

    private async Task<bool> PassAsync(string argument)
    {
        if (!PlaintextAuthAllowed)
            return await BadAsync("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.").ConfigureAwait(false);
        if (_pendingUser is not { } user) return await BadAsync("-ERR No username given.").ConfigureAwait(false);
        _pendingUser = null;
        // RFC 1939 7: the password is the rest of the line, spaces included.
        return await LoginAsync(user, argument, "PLAIN").ConfigureAwait(false);
    }

    private async Task<bool> AuthAsync(string argument)
    {
        if (argument.Length == 0)
        {
            // Dovecot (and RFC 1734's clients) answer a bare AUTH with the mechanism list.
            return await ReplyAsync(PlaintextAuthAllowed ? "+OK\r\n" + string.Join("\r\n", SaslExchange.Mechanisms) + "\r\n." : "+OK\r\n.").ConfigureAwait(false);
        }
        if (!PlaintextAuthAllowed)
            return await BadAsync("-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.").ConfigureAwait(false);
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > 2) return await BadAsync("-ERR Syntax: AUTH mechanism [initial-response]").ConfigureAwait(false);
        var sasl = await SaslExchange.RunAsync(words[0], words.Length == 2 ? words[1] : null, ChallengeAsync).ConfigureAwait(false);
        return sasl.Status switch
        {
            SaslStatus.Unsupported => await BadAsync("-ERR Unsupported authentication mechanism.").ConfigureAwait(false),
            SaslStatus.Aborted => await BadAsync("-ERR Authentication aborted by client or malformed.").ConfigureAwait(false),
            SaslStatus.Malformed => await RefuseLoginAsync(sasl.Mechanism, null).ConfigureAwait(false),
            _ => await LoginAsync(sasl.User, sasl.Password, sasl.Mechanism).ConfigureAwait(false),
        };
    }

    // RFC 5034 4: "+ " and the base64 challenge; the answer is one line.
    private async Task<string?> ChallengeAsync(string challenge)
    {
        await ReplyAsync("+ " + challenge).ConfigureAwait(false);
        var (end, line, why) = await ReadCommandAsync().ConfigureAwait(false);
        if (why is not null) throw new EndOfStreamException(why);
        return end == LineEnd.CrLf || end == LineEnd.BareLf ? Encoding.ASCII.GetString(line) : null;
    }

    private async Task<bool> LoginAsync(string user, string password, string method)
    {
        Trying(user, method);
        if (LoginBlocked())
        {
            return await BadAsync("-ERR [SYS/TEMP] Too many failed logins from your address; try again later.").ConfigureAwait(false);
        }
        if (user.Length == 0 || !await _authenticator.AuthenticateAsync(user, password, _stopping).ConfigureAwait(false))
            return await RefuseLoginAsync(method, user).ConfigureAwait(false);

        var mailbox = user.ToLowerInvariant();
        if (!TryCountUser("pop3", mailbox))
        {
            // Dovecot's pop3-login answers this and disconnects.
            await ReplyAsync("-ERR [IN-USE] " + _userLimitReached).ConfigureAwait(false);
            return false;
        }
        IMailFolder folder;
        try
        {
            folder = _store.Open(mailbox).Inbox;
        }
        catch (ArgumentException)
        {
            UncountUser();
            return await RefuseLoginAsync(method, user).ConfigureAwait(false);
        }
        var folderLock = folder.TryLockSession();
        if (folderLock is null)
        {
            UncountUser();
            return await ReplyAsync("-ERR [IN-USE] Mailbox is locked by another POP3 session.").ConfigureAwait(false);
        }
        try
        {
            var snapshot = await folder.ListMessagesAsync(_stopping).ConfigureAwait(false);
            _uidValidity = snapshot.UidValidity;
            _messages = snapshot.Messages;
        }
        catch (Exception e) when (e is MailStoreException or IOException or UnauthorizedAccessException)
        {
            folderLock.Dispose();
            UncountUser();
            return await ReplyAsync("-ERR [SYS/TEMP] Mailbox cannot be opened now; try again later.").ConfigureAwait(false);
        }
        _folder = folder;
        _folderLock = folderLock;
        _deleted = new bool[_messages.Count];
        _user = mailbox;
        // As Dovecot, where pop3-login and pop3 are separate processes: the bad commands before login are not held against the user.
        _badCommands = 0;
        _tally.Messages = _messages.Count;
        _tally.MailboxSize = _messages.Sum(m => m.Size);
        _log?.Login(mailbox, method, _client, _local, _sessionId, _tls);
        return await ReplyAsync("+OK Logged in.").ConfigureAwait(false);
    }

    private async Task<bool> RefuseLoginAsync(string method, string? user)
    {
        await LoginFailedAsync(method, user).ConfigureAwait(false);
        return await BadAsync("-ERR [AUTH] Authentication failed.").ConfigureAwait(false);
    }

    private async Task<bool> StatAsync(string argument)
    {
        if (argument.Length > 0) return await BadAsync("-ERR STAT takes no argument.").ConfigureAwait(false);
        var live = Live().ToList();
        return await ReplyAsync(string.Create(CultureInfo.InvariantCulture, $"+OK {live.Count} {live.Sum(i => _messages[i].Size)}")).ConfigureAwait(false);
    }

    private async Task<bool> ListAsync(string argument, bool uidl)
    {
        string Line(int i) => string.Create(CultureInfo.InvariantCulture, $"{i + 1} {(uidl ? Uidl(_messages[i]) : _messages[i].Size)}");
        if (argument.Length > 0)
        {
            var (index, error) = Message(argument);
            return error is not null ? await BadAsync(error).ConfigureAwait(false) : await ReplyAsync("+OK " + Line(index)).ConfigureAwait(false);
        }
        var text = new StringBuilder(uidl ? "+OK" : string.Create(CultureInfo.InvariantCulture, $"+OK {Live().Count()} messages:"));
        foreach (var i in Live()) text.Append("\r\n").Append(Line(i));
        text.Append("\r\n.");
        return await ReplyAsync(text.ToString()).ConfigureAwait(false);
    }

    // Dovecot 2.3's default pop3_uidl_format %08Xu%08Xv: UID and UIDVALIDITY as 8 hex digits each, which Dovecot's
    // var_expand writes in lower case (checked against Dovecot 2.3.19); a UIDL saved in dovecot-uidlist wins, as in Dovecot.
    private string Uidl(StoredMessage message) =>
        message.SavedPop3Uidl ?? string.Create(CultureInfo.InvariantCulture, $"{message.Uid:x8}{_uidValidity:x8}");

    private async Task<bool> RetrieveAsync(string argument)
    {
        var (index, error) = Message(argument);
        if (error is not null) return await BadAsync(error).ConfigureAwait(false);
        var message = _messages[index];
        await using var content = _folder!.OpenMessage(message);
        if (content is null) return await ReplyAsync("-ERR Message was removed by someone else.").ConfigureAwait(false);
        await WriteAsync(string.Create(CultureInfo.InvariantCulture, $"+OK {message.Size} octets\r\n")).ConfigureAwait(false);
        var sent = await Pop3MessageWriter.WriteAsync(content, _stream, bodyLines: null, _aborting).ConfigureAwait(false);
        _retrieved.Add(index);
        _tally.RetrCount++;
        _tally.RetrBytes += sent;
        return true;
    }

    private async Task<bool> TopAsync(string argument)
    {
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 2 || !int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out var lines))
            return await BadAsync("-ERR Syntax: TOP msg lines").ConfigureAwait(false);
        var (index, error) = Message(words[0]);
        if (error is not null) return await BadAsync(error).ConfigureAwait(false);
        await using var content = _folder!.OpenMessage(_messages[index]);
        if (content is null) return await ReplyAsync("-ERR Message was removed by someone else.").ConfigureAwait(false);
        await WriteAsync("+OK\r\n").ConfigureAwait(false);
        var sent = await Pop3MessageWriter.WriteAsync(content, _stream, lines, _aborting).ConfigureAwait(false);
        _tally.TopCount++;
        _tally.TopBytes += sent;
        return true;
    }

    private async Task<bool> DeleteAsync(string argument)
    {
        var (index, error) = Message(argument);
        if (error is not null) return await BadAsync(error).ConfigureAwait(false);
        _deleted[index] = true;
        return await ReplyAsync("+OK Marked to be deleted.").ConfigureAwait(false);
    }

    private async Task<bool> ResetAsync(string argument)
    {
        if (argument.Length > 0) return await BadAsync("-ERR RSET takes no argument.").ConfigureAwait(false);
        Array.Clear(_deleted);
        return await ReplyAsync("+OK").ConfigureAwait(false);
    }

    // RFC 1939 6: QUIT in TRANSACTION enters UPDATE: deleted messages go, then the lock is released.
    private async Task<bool> QuitAsync(string argument)
    {
        if (argument.Length > 0) return await BadAsync("-ERR QUIT takes no argument.").ConfigureAwait(false);
        if (_user is null)
        {
            await ReplyAsync("+OK Logging out.").ConfigureAwait(false);
            return false;
        }
        var doomed = Enumerable.Range(0, _messages.Count).Where(i => _deleted[i]).Select(i => _messages[i].Uid).ToList();
        try
        {
            // As Dovecot's POP3: what was retrieved and kept is \Seen from now on.
            foreach (var i in _retrieved.Where(i => !_deleted[i] && !_messages[i].Flags.HasFlag(MessageFlags.Seen)).Order())
                await _folder!.SetFlagsAsync(_messages[i].Uid, _messages[i].Flags | MessageFlags.Seen, null, _aborting).ConfigureAwait(false);
            var removed = await _folder!.ExpungeAsync(doomed, _aborting).ConfigureAwait(false);
            _tally.Deleted = removed.Count;
        }
        catch (Exception e) when (e is MailStoreException or IOException or UnauthorizedAccessException)
        {
            _folderLock?.Dispose();
            await ReplyAsync("-ERR [SYS/TEMP] Some deleted messages were not removed.").ConfigureAwait(false);
            return false;
        }
        // The maildrop is free before the client hears +OK, so its next session cannot meet [IN-USE].
        _folderLock?.Dispose();
        await ReplyAsync(doomed.Count > 0 ? "+OK Logging out, messages deleted." : "+OK Logging out.").ConfigureAwait(false);
        return false;
    }

    private IEnumerable<int> Live() => Enumerable.Range(0, _messages.Count).Where(i => !_deleted[i]);

    // A message-number argument (RFC 1939 5): 1-based, not marked deleted.
    private (int Index, string? Error) Message(string argument)
    {
        if (!int.TryParse(argument.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return (-1, "-ERR Invalid message number: " + Printable(argument));
        if (number < 1 || number > _messages.Count) return (-1, $"-ERR There's no message {number}.");
        return _deleted[number - 1] ? (-1, "-ERR Message is deleted.") : (number - 1, null);
    }

    private async Task<bool> BadAsync(string reply)
    {
        _badCommands++;
        return await ReplyAsync(reply).ConfigureAwait(false);
    }

    private async Task<bool> ReplyAsync(string reply)
    {
        await WriteAsync(reply + "\r\n").ConfigureAwait(false);
        return true;
    }

    private async Task WriteAsync(string text)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_aborting);
        timeout.CancelAfter(_options.IdleTimeout);
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text), timeout.Token).ConfigureAwait(false);
        await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
    }
}
