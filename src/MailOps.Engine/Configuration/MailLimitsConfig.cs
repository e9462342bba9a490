namespace MailOps.Engine.Configuration;

/// <summary>Resource limits, with Postfix's defaults where Postfix has the same limit (postconf(5)).</summary>
public sealed record MailLimitsConfig
{
    /// <summary>Largest message accepted, in bytes; Postfix's message_size_limit, default 10240000. Announced in EHLO SIZE (RFC 1870).</summary>
    public long MessageSizeLimit { get; init; } = 10_240_000;
    /// <summary>Most recipients in one transaction; Postfix's smtpd_recipient_limit, default 1000 (RFC 5321 4.5.3.1.8 requires at least 100).</summary>
    public int RecipientLimit { get; init; } = 1000;
    /// <summary>Most simultaneous SMTP sessions; Postfix's default_process_limit is 100.</summary>
    public int MaxConnections { get; init; } = 100;
    /// <summary>Most simultaneous sessions from one client address; Postfix's smtpd_client_connection_count_limit (50).</summary>
    public int MaxConnectionsPerClient { get; init; } = 50;
    /// <summary>Logged-in IMAP sessions of one user from one address, and POP3 sessions apart; Dovecot's mail_max_userip_connections, 10. 0 is no limit.</summary>
    public int MaxUserIpConnections { get; init; } = 10;
    /// <summary>Time to wait for a command; Postfix's smtpd_timeout, 300 s (RFC 5321 4.5.3.2.7 asks servers for at least 5 minutes).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>Time to wait for each block of message data (RFC 5321 4.5.3.2.5 suggests 3 minutes between blocks).</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>Messages delivered at once; Postfix's default_process_limit for its delivery agents. Default: twice the cores, at least 8.</summary>
    public int DeliveryConcurrency { get; init; } = Delivery.LocalDeliveryAgent.DefaultConcurrency;
    /// <summary>Connections at once to one remote destination; Postfix's default_destination_concurrency_limit, 20.</summary>
    public int DestinationConcurrency { get; init; } = 20;
    /// <summary>Errors after which a session is closed; Postfix's smtpd_hard_error_limit, 20.</summary>
    public int ErrorLimit { get; init; } = 20;
    /// <summary>Connections one client address may open per <see cref="RateTimeUnit"/>, per service; Postfix's smtpd_client_connection_rate_limit. 0 (the default) is no limit; the one over it gets 421 4.7.0.</summary>
    public int ClientConnectionRateLimit { get; init; }
    /// <summary>MAIL commands one client address may send per <see cref="RateTimeUnit"/>, per service; Postfix's smtpd_client_message_rate_limit. 0 is no limit; over it: 450 4.7.1.</summary>
    public int ClientMessageRateLimit { get; init; }
    /// <summary>RCPT commands one client address may send per <see cref="RateTimeUnit"/>, per service; Postfix's smtpd_client_recipient_rate_limit. 0 is no limit; over it: 450 4.7.1.</summary>
    public int ClientRecipientRateLimit { get; init; }
    /// <summary>MAIL commands one authenticated (SASL) user may send per <see cref="RateTimeUnit"/>, over all services and addresses. 0 is no limit; over it: 450 4.7.1.</summary>
    public int SaslUserMessageRateLimit { get; init; }
    /// <summary>The window the rate limits count in; Postfix's anvil_rate_time_unit, 60 s.</summary>
    public TimeSpan RateTimeUnit { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How long a failed login waits for its answer: SMTP AUTH's 535 (Postfix's smtpd_error_sleep_time, 1 s) and POP3's and IMAP's, growing with each failure from the address (Dovecot's auth_failure_delay); 1 s.</summary>
    public TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Time a POP3 or IMAP client may take to log in; a minute, as Dovecot's login processes allow.</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Time a logged-in POP3 client may stay silent; RFC 1939 3 asks for at least 10 minutes.</summary>
    public TimeSpan Pop3IdleTimeout { get; init; } = TimeSpan.FromSeconds(600);
    /// <summary>Time a logged-in IMAP client may stay silent, in IDLE too; RFC 3501 5.4 asks for at least 30 minutes.</summary>
    public TimeSpan ImapIdleTimeout { get; init; } = TimeSpan.FromSeconds(1800);
    /// <summary>Failed logins from one address within 15 minutes after which its logins are refused until they age out.</summary>
    public int MaxLoginFailures { get; init; } = 10;
}
