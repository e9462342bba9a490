using System.Security.Cryptography.X509Certificates;

namespace MailOps.Engine.Imap;

/// <summary>The settings of an IMAP session; defaults follow Dovecot's where Dovecot has the setting.</summary>
public sealed record ImapSessionOptions
{
    /// <summary>The certificate (with private key) for STARTTLS and implicit TLS; null disables TLS.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Start TLS as soon as the connection opens, before the greeting (RFC 8314 3.3, IMAPS on port 993).</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>
    /// Allow LOGIN and AUTHENTICATE without TLS for clients on a loopback address; elsewhere the server says LOGINDISABLED
    /// until STARTTLS (RFC 3501 6.2.3, RFC 2595 3.2).
    /// </summary>
    public bool AllowPlaintextAuthOnLoopback { get; init; }

    /// <summary>How long a client that has not logged in may stay silent (Dovecot's login processes give up after a minute).</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a logged-in client may stay silent, in IDLE too; RFC 3501 5.4 asks for at least 30 minutes.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How often IDLE looks at the folder for changes other programs (Dovecot, a shell) made.</summary>
    public TimeSpan IdlePollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After this many bad commands the session ends (Dovecot's CLIENT_MAX_BAD_COMMANDS, 20).</summary>
    public int MaxBadCommands { get; init; } = 20;

    /// <summary>The largest literal accepted, which bounds APPEND (Dovecot's imap default is unlimited; ours is the message size limit).</summary>
    public long MaxLiteralSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>Folders with RFC 6154 special uses, made for every user at login when missing (Dovecot's mailbox auto = subscribe).</summary>
    public IReadOnlyList<string> SpecialUseFolders { get; init; } = ["Drafts", "Sent", "Junk", "Trash"];
}
