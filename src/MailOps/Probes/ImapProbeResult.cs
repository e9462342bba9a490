namespace MailOps.Probes;

/// <summary>What an IMAP probe learned: the common fields and, after a login, the mailboxes with their message counts.</summary>
public sealed class ImapProbeResult : MailAccessProbeResult
{
    /// <summary>The mailboxes LIST returned, with STATUS counts; empty without a login.</summary>
    public IReadOnlyList<ImapMailbox> Mailboxes { get; set; } = [];
}
