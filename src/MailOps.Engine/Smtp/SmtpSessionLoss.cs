namespace MailOps.Engine.Smtp;

/// <summary>Why an SMTP session ended before QUIT, in the words of smtpd's log.</summary>
public enum SmtpSessionLoss
{
    /// <summary>The client went away ("lost connection after X").</summary>
    LostConnection,

    /// <summary>The client was silent too long ("timeout after X").</summary>
    Timeout,

    /// <summary>The client made too many errors ("too many errors after X").</summary>
    TooManyErrors,

    /// <summary>The server is stopping (421 4.3.2).</summary>
    ShuttingDown,

    /// <summary>The TLS handshake failed (after STARTTLS, or at connect on an implicit-TLS listener).</summary>
    TlsHandshakeFailed,
}
