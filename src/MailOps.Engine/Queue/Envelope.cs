namespace MailOps.Engine.Queue;

/// <summary>
/// The SMTP envelope of a queued message and what is known about how it arrived; stored as JSON beside the content.
/// </summary>
public sealed class Envelope
{
    /// <summary>The queue ID of the message.</summary>
    public string QueueId { get; set; } = "";

    /// <summary>The MAIL FROM reverse-path; empty for the null sender (bounces).</summary>
    public string Sender { get; set; } = "";

    /// <summary>The accepted recipients, each with its own status.</summary>
    public List<EnvelopeRecipient> Recipients { get; set; } = [];

    /// <summary>The DSN RET parameter (RFC 3461 4.3): "FULL" or "HDRS"; null when not given.</summary>
    public string? Ret { get; set; }

    /// <summary>The DSN ENVID parameter (RFC 3461 4.4), still xtext-encoded; null when not given.</summary>
    public string? EnvelopeId { get; set; }

    /// <summary>The BODY parameter (RFC 6152, RFC 3030): "7BIT", "8BITMIME" or "BINARYMIME"; null when not given.</summary>
    public string? Body { get; set; }

    /// <summary>True when the client asked for SMTPUTF8 (RFC 6531).</summary>
    public bool SmtpUtf8 { get; set; }

    /// <summary>The AUTH= parameter of MAIL FROM (RFC 4954 5), still xtext-encoded; null when not given.</summary>
    public string? AuthParameter { get; set; }

    /// <summary>The client's IP address.</summary>
    public string ClientAddress { get; set; } = "";

    /// <summary>The client's host name, "unknown" when it has none.</summary>
    public string ClientName { get; set; } = "unknown";

    /// <summary>The name the client gave in EHLO or HELO.</summary>
    public string Helo { get; set; } = "";

    /// <summary>The SASL user the client authenticated as; null for unauthenticated clients.</summary>
    public string? AuthUser { get; set; }

    /// <summary>True when the message arrived over TLS.</summary>
    public bool Tls { get; set; }

    /// <summary>When the message was accepted.</summary>
    public DateTimeOffset ArrivalTime { get; set; }

    /// <summary>How many delivery attempts were made so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When a deferred message is due for its next attempt (Postfix keeps it in the queue file's mtime); null until deferred.</summary>
    public DateTimeOffset? NextAttempt { get; set; }

    /// <summary>Size of the stored content in octets, including the Received: header.</summary>
    public long Size { get; set; }
}
