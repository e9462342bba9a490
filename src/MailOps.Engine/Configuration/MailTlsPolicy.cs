namespace MailOps.Engine.Configuration;

/// <summary>How remote delivery uses TLS towards a destination, as Postfix's smtp_tls_security_level.</summary>
public enum MailTlsPolicy
{
    /// <summary>Opportunistic: STARTTLS when the server offers it, any certificate accepted; plaintext otherwise.</summary>
    May,

    /// <summary>Mandatory encryption: no STARTTLS (or a failed handshake) defers the mail; the certificate is not verified.</summary>
    Encrypt,
}
