namespace MailOps.Logs;

/// <summary>
/// Dovecot's LDA or LMTP storing a message: <c>lmtp(user)&lt;pid&gt;&lt;session&gt;: msgid=&lt;id&gt;: saved mail to INBOX</c>
/// (older: <c>stored mail into mailbox 'INBOX'</c>). The Message-ID ties it to the Postfix queue id that handed it over.
/// </summary>
public sealed class DovecotDeliveryEntry : MailLogEntry
{
    /// <summary><c>lmtp</c> or <c>lda</c>.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>The user whose mailbox took the message.</summary>
    public string User { get; init; } = "";

    /// <summary>The Message-ID with angle brackets, or null when the line has none.</summary>
    public string? MessageId { get; init; }

    /// <summary>The mailbox (folder) it was saved to.</summary>
    public string Mailbox { get; init; } = "";

    /// <summary>Dovecot's session id (LMTP's appears in its 250 reply, which Postfix logs).</summary>
    public string? Session { get; init; }
}
