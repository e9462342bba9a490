using System.Net;
using MailOps.Engine.Logging;
using MailOps.Engine.Queue;

namespace MailOps.Engine.Smtp;

/// <summary>
/// One event of an SMTP session, handed to an <see cref="ISmtpSessionObserver"/>; it carries what Postfix's smtpd and
/// cleanup put in the event's log line (<see cref="SmtpSessionLog"/> writes them).
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Client">The client's address and port.</param>
/// <param name="Helo">The EHLO/HELO name so far, null before EHLO.</param>
/// <param name="Text">The reply or detail, e.g. "554 5.7.1 &lt;a@b&gt;: Relay access denied" or the SASL method.</param>
/// <param name="Envelope">The envelope, for <see cref="SmtpSessionEventKind.Queued"/>; null otherwise.</param>
public sealed record SmtpSessionEvent(SmtpSessionEventKind Kind, IPEndPoint Client, string? Helo, string? Text, Envelope? Envelope)
{
    /// <summary>
    /// Where the session was, as smtpd names it: the command being answered (<c>EHLO</c>, <c>MAIL</c>, <c>RCPT</c>,
    /// <c>DATA</c>, <c>UNKNOWN</c>...), <c>CONNECT</c> before the first command, <c>END-OF-MESSAGE</c> once message
    /// data ended. The stage of a reject, and the X of "lost connection after X".
    /// </summary>
    public string Stage { get; init; } = "CONNECT";

    /// <summary><c>ESMTP</c> after EHLO, else <c>SMTP</c> (smtpd's proto=).</summary>
    public string Protocol { get; init; } = "SMTP";

    /// <summary>The transaction's MAIL FROM address (empty for &lt;&gt;), or the one a refused MAIL named; null outside a transaction.</summary>
    public string? Sender { get; init; }

    /// <summary>The address of a refused RCPT or VRFY; null for other events.</summary>
    public string? Recipient { get; init; }

    /// <summary>The transaction's queue id, given at its first accepted recipient as Postfix does; null before.</summary>
    public string? QueueId { get; init; }

    /// <summary>
    /// For <see cref="SmtpSessionEventKind.Rejected"/>: true when a policy decision refused the command (relay, unknown
    /// user, size, authentication required), which smtpd logs as "reject:"; false for protocol errors, which it only counts.
    /// </summary>
    public bool IsPolicyReject { get; init; }

    /// <summary>The SASL mechanism the client authenticated (or failed to authenticate) with, e.g. <c>PLAIN</c>; null when none.</summary>
    public string? SaslMethod { get; init; }

    /// <summary>The SASL user the client authenticated as; null when not authenticated.</summary>
    public string? SaslUsername { get; init; }

    /// <summary>For <see cref="SmtpSessionEventKind.Queued"/>: the message's Message-ID header value, or null when it has none.</summary>
    public string? MessageId { get; init; }

    /// <summary>For <see cref="SmtpSessionEventKind.Lost"/>: why the session ended early.</summary>
    public SmtpSessionLoss Loss { get; init; }

    /// <summary>For <see cref="SmtpSessionEventKind.Disconnected"/>: the commands of the session and how many succeeded.</summary>
    public SmtpCommandTally? Commands { get; init; }

    /// <summary>The client's forward-confirmed reverse DNS name, or <c>unknown</c>.</summary>
    public string ClientName { get; init; } = "unknown";

    /// <summary>The listener's service name (smtp, submission, submissions), for rate-limit warnings.</summary>
    public string Service { get; init; } = "smtp";

    /// <summary>For <see cref="SmtpSessionEventKind.MessageAuthenticated"/>: the verdicts.</summary>
    public MailOps.Authentication.MessageAuthenticationResult? Verdicts { get; init; }

    /// <summary>The server's name (the authserv-id and receiver in verdict lines).</summary>
    public string? HostName { get; init; }
}
