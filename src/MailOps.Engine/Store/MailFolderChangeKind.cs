namespace MailOps.Engine.Store;

/// <summary>What a <see cref="MailFolderChange"/> reports.</summary>
public enum MailFolderChangeKind
{
    /// <summary>New messages were delivered or appended (IMAP EXISTS).</summary>
    Appended,

    /// <summary>Messages were removed (IMAP EXPUNGE).</summary>
    Expunged,

    /// <summary>Messages' flags or keywords changed (IMAP FETCH FLAGS).</summary>
    FlagsChanged,
}
