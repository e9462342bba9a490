using System.Net;
using MailOps.Engine.Queue;

namespace MailOps.Engine.Smtp;

/// <summary>One event of an SMTP session, handed to an <see cref="ISmtpSessionObserver"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Client">The client's address and port.</param>
/// <param name="Helo">The EHLO/HELO name so far, null before EHLO.</param>
/// <param name="Text">The reply or detail, e.g. "554 5.7.1 &lt;a@b&gt;: Relay access denied" or the SASL method.</param>
/// <param name="Envelope">The envelope, for <see cref="SmtpSessionEventKind.Queued"/>; null otherwise.</param>
public sealed record SmtpSessionEvent(SmtpSessionEventKind Kind, IPEndPoint Client, string? Helo, string? Text, Envelope? Envelope);
