namespace MailOps.Logs;

/// <summary>
/// Dovecot's session lines: <c>imap-login: Login: user=&lt;u&gt;, method=PLAIN, rip=..., lip=..., mpid=..., TLS, session=&lt;s&gt;</c>
/// (<see cref="MailLogEventKind.Login"/>), <c>imap-login: Disconnected: ... (auth failed, 1 attempts in 6 secs): user=&lt;u&gt;, ...</c>
/// (<see cref="MailLogEventKind.LoginFailed"/>), and <c>imap(u)&lt;pid&gt;&lt;session&gt;: Disconnected: Logged out in=.. out=..</c>
/// (<see cref="MailLogEventKind.Logout"/>).
/// </summary>
public sealed class DovecotLoginEntry : MailLogEntry
{
    /// <summary>imap, pop3, managesieve or submission.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>The user name, or null when the client gave none.</summary>
    public string? User { get; init; }

    /// <summary>The SASL mechanism (PLAIN, LOGIN, ...), or null.</summary>
    public string? Method { get; init; }

    /// <summary>The client's address (<c>rip=</c>), or null.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>The server's address (<c>lip=</c>), or null.</summary>
    public string? LocalAddress { get; init; }

    /// <summary>True when the connection used TLS (<c>TLS</c> in the flags).</summary>
    public bool Tls { get; init; }

    /// <summary>True when Dovecot considered the connection secured (TLS, or a trusted local connection: <c>secured</c>).</summary>
    public bool Secured { get; init; }

    /// <summary>Dovecot's session id, which ties the login line to the session's later lines.</summary>
    public string? Session { get; init; }

    /// <summary>For a disconnect, why: <c>Logged out</c>, <c>Connection closed (auth failed, 1 attempts in 6 secs)</c>, ...</summary>
    public string? Reason { get; init; }
}
