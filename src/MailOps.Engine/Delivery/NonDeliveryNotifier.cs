using System.Globalization;
using System.Text;
using MailOps.Engine.Logging;
using MailOps.Engine.Queue;
using MimeKit;
using MimeKit.Utils;

namespace MailOps.Engine.Delivery;

/// <summary>
/// Returns failed mail to its sender, as Postfix's bounce(8): one RFC 3464 delivery status notification per failed
/// attempt (multipart/report; report-type=delivery-status), from MAILER-DAEMON with the null sender, put into the queue
/// like any message. Never to the null sender (that would be a bounce of a bounce: it is only logged) and never for a
/// recipient that asked for no failure notices (RFC 3461 4.1 NOTIFY).
/// </summary>
public sealed class NonDeliveryNotifier
{
    /// <summary>Largest original returned whole; bigger ones are returned as headers only (Postfix's bounce_size_limit).</summary>
    public const long BounceSizeLimit = 50_000;

    private readonly MailQueue _queue;
    private readonly string _hostName;
    private readonly MailLog? _log;

    /// <summary>Creates the notifier; notices go into <paramref name="queue"/> and are signed by <paramref name="hostName"/>.</summary>
    public NonDeliveryNotifier(MailQueue queue, string hostName, MailLog? log = null)
    {
        _queue = queue;
        _hostName = hostName;
        _log = log;
    }

    /// <summary>
    /// Queues the notice for <paramref name="failed"/> recipients of the message <paramref name="envelope"/> describes;
    /// returns its queue id, or null when none is due (null sender, NOTIFY without FAILURE).
    /// </summary>
    public async Task<string?> NotifyAsync(Envelope envelope, IReadOnlyList<EnvelopeRecipient> failed, Func<Stream> openContent, CancellationToken cancellationToken)
    {
        var reported = failed.Where(WantsFailureNotice).ToList();
        if (reported.Count == 0) return null;
        if (envelope.Sender.Length == 0)
        {
            // RFC 5321 6.1 / RFC 3461 6.2: no notification about a notification; the log keeps the trace.
            _log?.Write("bounce", $"{envelope.QueueId}: sender non-delivery notification not sent: the message has the null sender (double bounce), {reported.Count} recipient(s) discarded");
            return null;
        }
        MimeMessage report;
        await using (var original = openContent())
        {
            report = await BuildReportAsync(envelope, reported, original, _hostName, DateTimeOffset.Now, cancellationToken).ConfigureAwait(false);
        }
        await using var writer = _queue.BeginMessage();
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        await report.WriteToAsync(options, writer.Content, cancellationToken).ConfigureAwait(false);
        await writer.CommitAsync(new Envelope
        {
            Sender = "",
            Recipients = [new EnvelopeRecipient { Address = envelope.Sender, Notify = "NEVER" }],
            ClientAddress = "127.0.0.1",
            ClientName = "localhost",
            Helo = _hostName,
            ArrivalTime = DateTimeOffset.UtcNow,
        }, cancellationToken).ConfigureAwait(false);
        _log?.MessageId(writer.QueueId, report.MessageId ?? "");
        _log?.NonDeliveryNotification(envelope.QueueId, writer.QueueId);
        return writer.QueueId;
    }

    // RFC 3461 4.1: NOTIFY=NEVER or a list without FAILURE asks for no failure notice; no NOTIFY means FAILURE.
    private static bool WantsFailureNotice(EnvelopeRecipient recipient) =>
        recipient.Notify is not { } notify || notify.Split(',', StringSplitOptions.TrimEntries).Contains("FAILURE", StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The RFC 3464 report: a human-readable part, the message/delivery-status part (Reporting-MTA, Arrival-Date, and per
    /// failed recipient Final-Recipient, Original-Recipient, Action, Status, Remote-MTA, Diagnostic-Code), and the original
    /// message (RET=FULL or not given, up to <see cref="BounceSizeLimit"/>) or its headers (RET=HDRS, or a bigger message).
    /// </summary>
    public static async Task<MimeMessage> BuildReportAsync(Envelope envelope, IReadOnlyList<EnvelopeRecipient> failed, Stream original, string hostName,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var human = new StringBuilder();
        human.Append(CultureInfo.InvariantCulture, $"This is the mail system at host {hostName}.\r\n\r\n");
        human.Append("I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients. It's attached below.\r\n\r\n");
        human.Append("For further assistance, please send mail to postmaster.\r\n\r\n");
        human.Append("                   The mail system\r\n\r\n");
        foreach (var recipient in failed)
            human.Append(CultureInfo.InvariantCulture, $"<{recipient.Address}>: {ReasonOf(recipient)}\r\n");

        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", $"dns; {hostName}" },
        };
        if (envelope.EnvelopeId is { } envelopeId) perMessage.Add("Original-Envelope-Id", envelopeId);
        perMessage.Add("Arrival-Date", DateUtils.FormatDate(envelope.ArrivalTime.ToLocalTime()));
        status.StatusGroups.Add(perMessage);
        foreach (var recipient in failed)
        {
            var fields = new HeaderList { { "Final-Recipient", $"rfc822; {recipient.Address}" } };
            if (OriginalRecipientField(recipient) is { } original1) fields.Add("Original-Recipient", original1);
            fields.Add("Action", "failed");
            fields.Add("Status", StatusOf(recipient));
            if (recipient.RemoteMta is { } mta) fields.Add("Remote-MTA", $"dns; {mta}");
            fields.Add("Diagnostic-Code", recipient.Diagnostic is { } diagnostic ? $"smtp; {diagnostic}" : $"X-MailOps; {ReasonOf(recipient)}");
            fields.Add("Last-Attempt-Date", DateUtils.FormatDate(now));
            status.StatusGroups.Add(fields);
        }

        var report = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = human.ToString(), ContentDescription = "Notification" },
            status,
        };
        status.ContentDescription = "Delivery report";
        var headersOnly = string.Equals(envelope.Ret, "HDRS", StringComparison.OrdinalIgnoreCase) || envelope.Size > BounceSizeLimit;
        if (headersOnly)
        {
            var headers = await ReadHeaderSectionAsync(original, cancellationToken).ConfigureAwait(false);
            report.Add(new MimePart("text", "rfc822-headers")
            {
                Content = new MimeContent(new MemoryStream(headers)),
                ContentDescription = "Undelivered Message Headers",
            });
        }
        else
        {
            var message = await MimeMessage.LoadAsync(original, cancellationToken).ConfigureAwait(false);
            var part = new MessagePart("rfc822", message);
            part.Headers[HeaderId.ContentDescription] = "Undelivered Message";
            report.Add(part);
        }

        var notice = new MimeMessage();
        notice.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{hostName}"));
        notice.To.Add(new MailboxAddress("", envelope.Sender));
        notice.Subject = "Undelivered Mail Returned to Sender";
        notice.Date = now;
        notice.MessageId = MimeUtils.GenerateMessageId(hostName);
        // RFC 3834 5: automatic replies are marked, so that no responder answers them.
        notice.Headers.Add("Auto-Submitted", "auto-replied");
        notice.Body = report;
        return notice;
    }

    // The ORCPT as given ("rfc822;user@example.org", xtext decoded), or the address an alias expansion replaced.
    private static string? OriginalRecipientField(EnvelopeRecipient recipient)
    {
        if (recipient.OriginalRecipient is not { } original) return null;
        var semicolon = original.IndexOf(';');
        return semicolon > 0
            ? $"{original[..semicolon]}; {RemoteSmtpClient.DecodeXText(original[(semicolon + 1)..])}"
            : $"rfc822; {original}";
    }

    // LastResponse starts with the enhanced status code ("5.1.1 host ... said: ...").
    private static string StatusOf(EnvelopeRecipient recipient)
    {
        var first = recipient.LastResponse?.Split(' ', 2)[0] ?? "";
        return first.Split('.').Length == 3 && char.IsAsciiDigit(first[0]) ? first : "5.0.0";
    }

    private static string ReasonOf(EnvelopeRecipient recipient)
    {
        var text = recipient.LastResponse ?? "delivery failed";
        var space = text.IndexOf(' ');
        return space > 0 && StatusOf(recipient) == text[..space] ? text[(space + 1)..] : text;
    }

    // The header section only: read until the empty line, so a big message is not read whole.
    private static async Task<byte[]> ReadHeaderSectionAsync(Stream original, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await original.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var from = (int)Math.Max(0, buffer.Length - 3);
            buffer.Write(chunk, 0, read);
            var end = buffer.GetBuffer().AsSpan(from, (int)buffer.Length - from).IndexOf("\r\n\r\n"u8);
            if (end >= 0) return buffer.GetBuffer()[..(from + end + 2)];
        }
        return buffer.ToArray();
    }
}
