using MailOps.Engine.Smtp;

namespace MailOps.Engine.Logging;

/// <summary>
/// Writes an SMTP session's events as the lines Postfix's smtpd and cleanup write for the same dialogue:
/// <c>connect from</c>; <c>QUEUEID: client=</c> at the first accepted recipient (with <c>sasl_method</c> and
/// <c>sasl_username</c> once authenticated); cleanup's <c>QUEUEID: message-id=&lt;...&gt;</c> (<c>message-id=&lt;&gt;</c> when the
/// message has none); <c>NOQUEUE: reject:</c> or <c>QUEUEID: reject:</c> for policy refusals (protocol errors are only
/// counted); <c>warning: name[addr]: SASL LOGIN authentication failed</c>; rate-limit warnings; the SPF, DKIM and DMARC
/// verdicts of received mail; <c>lost connection</c>, <c>timeout</c> or
/// <c>too many errors after X</c>; and <c>disconnect from</c> with the command tally.
/// </summary>
public sealed class SmtpSessionLog : ISmtpSessionObserver
{
    private readonly MailLog _log;

    /// <summary>Writes to <paramref name="log"/>.</summary>
    public SmtpSessionLog(MailLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
    }

    /// <inheritdoc />
    public void OnEvent(SmtpSessionEvent sessionEvent)
    {
        var e = sessionEvent;
        // The forward-confirmed reverse DNS name, or "unknown", as in Postfix.
        var client = new MailLogClient(e.ClientName, e.Client.Address.ToString());
        switch (e.Kind)
        {
            case SmtpSessionEventKind.Connected:
                _log.Connect(client);
                break;
            case SmtpSessionEventKind.TransactionStarted when e.QueueId is { } queueId:
                _log.Client(queueId, client, e.SaslUsername is null ? null : e.SaslMethod, e.SaslUsername);
                break;
            case SmtpSessionEventKind.Queued when e.QueueId is { } queueId:
                // cleanup_message.c: "message-id=<>" when the message has no Message-ID header.
                _log.MessageId(queueId, e.MessageId ?? "<>");
                break;
            case SmtpSessionEventKind.Rejected when e.IsPolicyReject && e.Text is { } reply:
                _log.Reject(e.QueueId, e.Stage, client, reply, e.Sender, e.Recipient, e.Protocol, e.Helo);
                break;
            case SmtpSessionEventKind.AuthenticationFailed:
                // The form fail2ban's postfix-sasl filter matches.
                _log.Warning("smtpd", $"{client}: SASL {e.SaslMethod} authentication failed: authentication failure");
                break;
            case SmtpSessionEventKind.LimitExceeded when e.Text is { } what:
                // anvil's limits as smtpd reports them: "Connection rate limit exceeded: 4 from name[addr] for service smtp".
                _log.Warning("smtpd", $"{what} from {client} for service {e.Service}");
                break;
            case SmtpSessionEventKind.Held when e.QueueId is { } queueId && e.Text is { } reason:
                _log.Hold(queueId, client, reason, e.Sender, e.Recipient, e.Protocol, e.Helo);
                break;
            case SmtpSessionEventKind.MessageAuthenticated when e.QueueId is { } queueId && e.Verdicts is { } verdicts:
                _log.Verdicts(queueId, verdicts, client, e.Helo, e.HostName ?? "");
                break;
            case SmtpSessionEventKind.Lost:
                switch (e.Loss)
                {
                    case SmtpSessionLoss.Timeout:
                        _log.Timeout(client, e.Stage);
                        break;
                    case SmtpSessionLoss.TooManyErrors:
                        _log.TooManyErrors(client, e.Stage);
                        break;
                    case SmtpSessionLoss.LostConnection:
                    case SmtpSessionLoss.TlsHandshakeFailed:
                        _log.LostConnection(client, e.Stage);
                        break;
                }
                break;
            case SmtpSessionEventKind.Disconnected:
                _log.Disconnect(client, e.Commands ?? new SmtpCommandTally());
                break;
        }
    }
}
