namespace MailOps.Probes;

/// <summary>The stages of an SMTP dialogue a probe walks through, in order (like swaks's <c>--quit-after</c>).</summary>
public enum SmtpProbeStage
{
    /// <summary>TCP connect (and the TLS handshake for implicit TLS) and the 220 greeting.</summary>
    Connect,
    /// <summary>EHLO (HELO when EHLO is refused).</summary>
    Ehlo,
    /// <summary>STARTTLS, the handshake and the second EHLO.</summary>
    StartTls,
    /// <summary>AUTH.</summary>
    Auth,
    /// <summary>MAIL FROM.</summary>
    Mail,
    /// <summary>RCPT TO for every recipient.</summary>
    Rcpt,
    /// <summary>DATA or BDAT: the message and the server's final reply.</summary>
    Data,
    /// <summary>QUIT.</summary>
    Quit,
}
