namespace MailOps.Logs;

/// <summary>
/// A refusal: smtpd's <c>NOQUEUE: reject: RCPT from name[addr]: 550 5.1.1 &lt;r&gt;: Recipient address rejected: ...;
/// from=&lt;s&gt; to=&lt;r&gt; proto=ESMTP helo=&lt;h&gt;</c>, and its <c>reject_warning</c>, <c>hold</c>, <c>discard</c> kin;
/// cleanup's <c>QUEUEID: reject: header Subject: ... from name[addr]; from=&lt;s&gt; to=&lt;r&gt; ...: 5.7.1 text</c>.
/// </summary>
public sealed class MailLogRejectEntry : MailLogEntry
{
    /// <summary><c>reject</c>, <c>reject_warning</c>, <c>hold</c>, <c>discard</c>, <c>milter-reject</c> or (cleanup) <c>warning</c>.</summary>
    public string Action { get; init; } = "";

    /// <summary>The SMTP stage refused (CONNECT, HELO, EHLO, MAIL, RCPT, DATA, END-OF-MESSAGE), or for cleanup <c>header</c>/<c>body</c>.</summary>
    public string Stage { get; init; } = "";

    /// <summary>The client's name, or null when the line names none.</summary>
    public string? ClientName { get; init; }

    /// <summary>The client's IP address, or null.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The SMTP reply code sent (550, 554, 450, ...), or null (cleanup's header checks log only the DSN).</summary>
    public int? ReplyCode { get; init; }

    /// <summary>The enhanced status code, e.g. <c>5.1.1</c>.</summary>
    public string? Dsn { get; init; }

    /// <summary>The reply text after the codes (smtpd), or the matched header/body text (cleanup).</summary>
    public string Reason { get; init; } = "";

    /// <summary>The envelope sender (<c>from=</c>), empty for &lt;&gt;, null when not logged.</summary>
    public string? Sender { get; init; }

    /// <summary>The recipient (<c>to=</c>), or null.</summary>
    public string? Recipient { get; init; }

    /// <summary>SMTP or ESMTP (<c>proto=</c>), or null.</summary>
    public string? Protocol { get; init; }

    /// <summary>The HELO/EHLO name (<c>helo=</c>), or null.</summary>
    public string? Helo { get; init; }
}
