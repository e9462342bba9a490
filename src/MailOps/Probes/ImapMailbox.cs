namespace MailOps.Probes;

/// <summary>One mailbox of an IMAP account as LIST and STATUS describe it (RFC 9051 6.3.9, 6.3.11).</summary>
/// <param name="Name">The mailbox name as the server sends it (modified UTF-7 for IMAP4rev1 servers).</param>
/// <param name="Delimiter">The hierarchy delimiter, or null.</param>
/// <param name="Attributes">The name attributes, e.g. \HasNoChildren, \Sent.</param>
/// <param name="Messages">The number of messages, or null when it cannot be selected.</param>
/// <param name="Unseen">The number of messages without \Seen, or null.</param>
public sealed record ImapMailbox(string Name, string? Delimiter, IReadOnlyList<string> Attributes, int? Messages, int? Unseen)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Messages?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"})";
}
