namespace MailOps.Engine.Smtp;

/// <summary>What happened in an SMTP session, for the log writer (Postfix's smtpd log lines).</summary>
public enum SmtpSessionEventKind
{
    /// <summary>A client connected ("connect from").</summary>
    Connected,

    /// <summary>TLS was established (STARTTLS or implicit).</summary>
    TlsEstablished,

    /// <summary>A client authenticated ("sasl_method=PLAIN, sasl_username=...").</summary>
    Authenticated,

    /// <summary>Authentication failed ("SASL PLAIN authentication failed").</summary>
    AuthenticationFailed,

    /// <summary>A command was refused with a 4xx or 5xx reply ("NOQUEUE: reject: ...").</summary>
    Rejected,

    /// <summary>A message was made durable in the queue ("queued as ...").</summary>
    Queued,

    /// <summary>The session ended on a timeout, too many errors, shutdown or lost connection.</summary>
    Lost,

    /// <summary>The client went away ("disconnect from").</summary>
    Disconnected,

    /// <summary>The first recipient of a transaction was accepted and the message got its queue id ("QUEUEID: client=").</summary>
    TransactionStarted,

    /// <summary>A rate limit was exceeded ("warning: Connection rate limit exceeded: 4 from name[addr] for service smtp").</summary>
    LimitExceeded,

    /// <summary>A message was queued in hold/ by the DMARC policy ("QUEUEID: hold: END-OF-MESSAGE from ...").</summary>
    Held,

    /// <summary>A received message's SPF, DKIM and DMARC verdicts are known (the lines policyd-spf, opendkim and opendmarc write).</summary>
    MessageAuthenticated,
}
