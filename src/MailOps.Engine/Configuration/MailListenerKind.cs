namespace MailOps.Engine.Configuration;

/// <summary>
/// What a listening socket is for, as Postfix's master.cf distinguishes smtp, submission and submissions and Dovecot's
/// pop3-login and imap-login services their pop3/pop3s and imap/imaps listeners.
/// </summary>
public enum MailListenerKind
{
    /// <summary>Mail from other servers (port 25, RFC 5321): no AUTH required, only local domains accepted; STARTTLS offered.</summary>
    Mta,
    /// <summary>Mail from our users (port 587, RFC 6409): STARTTLS then AUTH required before MAIL.</summary>
    Submission,
    /// <summary>Submission over implicit TLS (port 465, RFC 8314 3.3): TLS from the first byte, then AUTH.</summary>
    SubmissionTls,
    /// <summary>POP3 for users' mail programs (port 110, RFC 1939): STLS, then USER/PASS or AUTH.</summary>
    Pop3,
    /// <summary>POP3 over implicit TLS (port 995, RFC 8314 3.3): TLS from the first byte.</summary>
    Pop3Tls,
    /// <summary>IMAP for users' mail programs (port 143, RFC 3501): STARTTLS, then LOGIN or AUTHENTICATE.</summary>
    Imap,
    /// <summary>IMAP over implicit TLS (port 993, RFC 8314 3.3): TLS from the first byte.</summary>
    ImapTls,
}
