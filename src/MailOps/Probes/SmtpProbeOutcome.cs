namespace MailOps.Probes;

/// <summary>
/// How an SMTP probe ended: Success, or the stage that failed. The numbers are swaks's exit codes where swaks has one,
/// so scripts that know swaks read them the same way.
/// </summary>
public enum SmtpProbeOutcome
{
    /// <summary>Every stage asked for succeeded.</summary>
    Success = 0,
    /// <summary>The TCP connection could not be made (swaks 2).</summary>
    Connect = 2,
    /// <summary>The server did not answer in time.</summary>
    Timeout = 6,
    /// <summary>The greeting was not 220 (swaks 21).</summary>
    Banner = 21,
    /// <summary>EHLO and HELO were refused (swaks 22).</summary>
    Ehlo = 22,
    /// <summary>MAIL FROM was refused (swaks 23).</summary>
    Mail = 23,
    /// <summary>Every RCPT TO was refused (swaks 24).</summary>
    Rcpt = 24,
    /// <summary>DATA, BDAT or the message was refused (swaks 25).</summary>
    Data = 25,
    /// <summary>AUTH failed or no offered mechanism could be used (swaks 28).</summary>
    Auth = 28,
    /// <summary>STARTTLS was refused or not offered, or the TLS handshake failed (swaks 29).</summary>
    Tls = 29,
    /// <summary>The server answered 421 at the greeting or refused the connection for load: rate limiting, not a protocol failure.</summary>
    RateLimited = 30,
}
