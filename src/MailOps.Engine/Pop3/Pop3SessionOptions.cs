using System.Security.Cryptography.X509Certificates;

namespace MailOps.Engine.Pop3;

/// <summary>The settings of a POP3 session; defaults follow Dovecot's where Dovecot has the setting.</summary>
public sealed record Pop3SessionOptions
{
    /// <summary>The certificate (with private key) for STLS and implicit TLS; null disables TLS.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Start TLS as soon as the connection opens, before the greeting (RFC 8314 3.3, POP3S on port 995).</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>
    /// Allow USER/PASS and AUTH without TLS for clients on a loopback address (Dovecot's disable_plaintext_auth = no for
    /// local clients only); elsewhere they need STLS or POP3S first (RFC 2595 2.1).
    /// </summary>
    public bool AllowPlaintextAuthOnLoopback { get; init; }

    /// <summary>How long a client that has not logged in may stay silent (Dovecot's login processes give up after a minute).</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a logged-in client may stay silent; RFC 1939 3 asks for at least 10 minutes.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>After this many bad commands the session ends (Dovecot's CLIENT_MAX_BAD_COMMANDS, 20).</summary>
    public int MaxBadCommands { get; init; } = 20;
}
