using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailOps.Engine.Queue;
using Envelope = MailOps.Engine.Queue.Envelope;
using MimeKit;

namespace MailOps.Engine.Delivery;

/// <summary>
/// MailKit's SMTP client, told one queued transaction at a time: it passes on the DSN parameters of the envelope
/// (RFC 3461: NOTIFY, RET, ENVID; MailKit 4.18 keeps ORCPT to itself and sends the RCPT address as ORCPT) and records each recipient's reply instead of giving up at the first refusal,
/// so that some recipients can be accepted while others get 4xx or 5xx.
/// </summary>
internal sealed class RemoteSmtpClient : SmtpClient
{
    private Envelope? _envelope;
    private Dictionary<string, EnvelopeRecipient> _recipients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The RCPT TO replies of the current transaction, by recipient.</summary>
    public Dictionary<EnvelopeRecipient, SmtpResponse> Refused { get; } = [];

    /// <summary>The recipients the server accepted in the current transaction.</summary>
    public List<EnvelopeRecipient> Accepted { get; } = [];

    /// <summary>When the connection was opened or last finished a transaction (for the idle limit of the connection cache).</summary>
    public DateTimeOffset LastUsed { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>The server as logged, <c>host[address]</c>.</summary>
    public string RemoteHost { get; init; } = "";

    /// <summary>Starts a transaction for <paramref name="recipients"/> of <paramref name="envelope"/>.</summary>
    public void Begin(Envelope envelope, IEnumerable<EnvelopeRecipient> recipients)
    {
        _envelope = envelope;
        _recipients = recipients.ToDictionary(r => r.Address, StringComparer.OrdinalIgnoreCase);
        Refused.Clear();
        Accepted.Clear();
        DeliveryStatusNotificationType = envelope.Ret switch
        {
            "FULL" => DeliveryStatusNotificationType.Full,
            "HDRS" => DeliveryStatusNotificationType.HeadersOnly,
            _ => DeliveryStatusNotificationType.Unspecified,
        };
    }

    /// <inheritdoc />
    protected override string? GetEnvelopeId(MimeMessage message) =>
        _envelope?.EnvelopeId is { } id ? DecodeXText(id) : null;

    /// <inheritdoc />
    protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox)
    {
        if (!_recipients.TryGetValue(mailbox.Address, out var recipient) || recipient.Notify is null) return null;
        DeliveryStatusNotification notify = default;
        foreach (var word in recipient.Notify.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            notify |= word switch
            {
                "NEVER" => DeliveryStatusNotification.Never,
                "SUCCESS" => DeliveryStatusNotification.Success,
                "FAILURE" => DeliveryStatusNotification.Failure,
                "DELAY" => DeliveryStatusNotification.Delay,
                _ => default,
            };
        }
        return notify;
    }

    /// <inheritdoc />
    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        if (_recipients.TryGetValue(mailbox.Address, out var recipient)) Accepted.Add(recipient);
    }

    /// <inheritdoc />
    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        if (_recipients.TryGetValue(mailbox.Address, out var recipient)) Refused[recipient] = response;
    }

    /// <inheritdoc />
    protected override void OnNoRecipientsAccepted(MimeMessage message) =>
        // MailKit resets the transaction (RSET) on an SmtpCommandException; the replies are in Refused already.
        throw new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, SmtpStatusCode.MailboxUnavailable, "no recipient was accepted");

    /// <summary>Decodes RFC 3461 4 xtext ("+2B" is '+'); MailKit encodes the parameters again itself.</summary>
    internal static string DecodeXText(string xtext)
    {
        var text = new StringBuilder(xtext.Length);
        for (var i = 0; i < xtext.Length; i++)
        {
            if (xtext[i] == '+' && i + 2 < xtext.Length && Uri.IsHexDigit(xtext[i + 1]) && Uri.IsHexDigit(xtext[i + 2]))
            {
                text.Append((char)Convert.ToInt32(xtext.Substring(i + 1, 2), 16));
                i += 2;
            }
            else text.Append(xtext[i]);
        }
        return text.ToString();
    }
}
