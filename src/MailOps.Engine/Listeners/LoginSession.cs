using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailOps.Engine.Auth;

namespace MailOps.Engine.Listeners;

/// <summary>
/// What the sessions of the login protocols (POP3, IMAP) share, as Dovecot's login processes share it: the connection and
/// its buffered input, the TLS handshake (STARTTLS, STLS, implicit TLS), whether a password may be sent yet, failed
/// logins counted and slowed per address, and who tried with what for the login process's last log line.
/// </summary>
internal abstract class LoginSession
{
    protected readonly IPEndPoint _client;
    protected readonly IPEndPoint _local;
    protected readonly LoginFailures _failures;
    private readonly UserConnectionCounts _userConnections;
    private IDisposable? _userSlot;
    protected readonly CancellationToken _stopping;
    protected readonly CancellationToken _aborting;
    protected readonly string _sessionId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
    protected readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    protected Stream _stream;
    protected LineInput _input;
    protected bool _tls;
    protected bool _compressed;
    protected string? _lastTriedUser;
    protected string? _lastMethod;
    protected int _failedAttempts;
    /// <summary>Set when a login was refused for the user's sessions from this address: the reason, for the log; the session then ends.</summary>
    protected string? _userLimitReached;

    protected LoginSession(Stream stream, IPEndPoint client, IPEndPoint local, LoginFailures failures, UserConnectionCounts userConnections,
        CancellationToken stopping, CancellationToken aborting)
    {
        _userConnections = userConnections;
        _stream = stream;
        _input = new LineInput(stream);
        _client = client;
        _local = local;
        _failures = failures;
        _stopping = stopping;
        _aborting = aborting;
    }

    /// <summary>
    /// True when a password may be sent: over TLS, or from loopback when <paramref name="allowOnLoopback"/> (Dovecot's
    /// disable_plaintext_auth for local clients only; RFC 2595 2.1).
    /// </summary>
    protected bool MayAuthenticate(bool allowOnLoopback) => _tls || (allowOnLoopback && IPAddress.IsLoopback(_client.Address));

    /// <summary>Starts TLS with <paramref name="certificate"/>; false when the handshake failed (the connection is then closed).</summary>
    protected async Task<bool> HandshakeAsync(X509Certificate2? certificate, TimeSpan timeout)
    {
        var (tls, _) = await TlsHandshake.AsServerAsync(_stream, certificate, timeout, _stopping).ConfigureAwait(false);
        if (tls is null) return false;
        _stream = tls;
        // CVE-2011-0411: what the client sent before TLS is dropped with the old buffer.
        _input = new LineInput(tls);
        _tls = true;
        return true;
    }

    /// <summary>
    /// Compresses the rest of the session both ways (RFC 4978 COMPRESS=DEFLATE), over TLS when TLS is on. Call right after
    /// the tagged OK went out: what the client sent after the command is compressed data, so it is inflated, not dropped.
    /// </summary>
    protected void StartCompression()
    {
        var compressed = new DeflateStreamPair(_stream, _input.Buffered);
        _stream = compressed;
        _input = new LineInput(compressed);
        _compressed = true;
    }

    /// <summary>
    /// Counts this session as one of <paramref name="user"/>'s from the client's address over <paramref name="protocol"/> until it
    /// closes; false (with <see cref="_userLimitReached"/> set to Dovecot's text) when that would exceed mail_max_userip_connections.
    /// </summary>
    protected bool TryCountUser(string protocol, string user)
    {
        _userSlot = _userConnections.TryAdd(protocol, user, _client.Address);
        if (_userSlot is null) _userLimitReached = _userConnections.Refusal;
        return _userSlot is not null;
    }

    /// <summary>Stops counting this session for its user (a login that failed after it was counted).</summary>
    protected void UncountUser()
    {
        _userSlot?.Dispose();
        _userSlot = null;
    }

    /// <summary>Records who tried how, before the password is checked.</summary>
    protected void Trying(string? user, string method)
    {
        if (user is not null) _lastTriedUser = user;
        _lastMethod = method;
    }

    /// <summary>Counts a failed login and waits before it is answered.</summary>
    protected async Task LoginFailedAsync(string method, string? user)
    {
        Trying(user, method);
        _failedAttempts++;
        var delay = _failures.Fail(_client.Address);
        // Why the wait: guessing passwords gets slower with every miss (Dovecot's auth_failure_delay).
        if (delay > TimeSpan.Zero) await Task.Delay(delay, _stopping).ConfigureAwait(false);
    }

    /// <summary>True, counting the attempt, when the client's address has used up its failed logins.</summary>
    protected bool LoginBlocked()
    {
        if (!_failures.IsBlocked(_client.Address)) return false;
        _failedAttempts++;
        return true;
    }

    /// <summary>Closes the connection; a broken TLS stream may throw on dispose, and nothing is left to clean up then.</summary>
    protected async Task CloseAsync()
    {
        UncountUser();
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Disposing a broken TLS stream can throw; nothing is left to clean up.
        }
    }

    /// <summary>Client text fit for a reply or a log line: control characters replaced, at most 40 characters.</summary>
    protected static string Printable(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length > 40 ? clean[..40] + "..." : clean;
    }
}
