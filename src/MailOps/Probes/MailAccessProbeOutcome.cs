namespace MailOps.Probes;

/// <summary>How an IMAP or POP3 probe ended: Success, or the stage that failed.</summary>
public enum MailAccessProbeOutcome
{
    /// <summary>Every stage asked for succeeded.</summary>
    Success,
    /// <summary>The TCP connection could not be made.</summary>
    Connect,
    /// <summary>The server did not answer in time.</summary>
    Timeout,
    /// <summary>The greeting was not OK (IMAP * OK or * PREAUTH, POP3 +OK).</summary>
    Banner,
    /// <summary>STARTTLS/STLS was refused or not offered, the handshake failed, or the certificate was not accepted.</summary>
    Tls,
    /// <summary>The login was refused.</summary>
    Login,
    /// <summary>A command after login failed (LIST, STATUS, STAT).</summary>
    Mailbox,
}
