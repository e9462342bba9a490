namespace MailOps.Probes;

/// <summary>How a probe uses TLS.</summary>
public enum MailTlsMode
{
    /// <summary>Use STARTTLS when the server offers it, plain text otherwise.</summary>
    Auto,
    /// <summary>Plain text only.</summary>
    None,
    /// <summary>STARTTLS is required (RFC 3207; STLS for POP3, RFC 2595).</summary>
    StartTls,
    /// <summary>TLS from the first byte (RFC 8314: ports 465, 993, 995).</summary>
    Implicit,
}
