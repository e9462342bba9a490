namespace MailOps.Engine.Logging;

/// <summary>What a POP3 session did, for its logout line (Dovecot's pop3_logout_format variables).</summary>
public sealed class Pop3SessionTally
{
    /// <summary>TOP commands answered (%t).</summary>
    public int TopCount { get; set; }

    /// <summary>Bytes sent for TOP (%p).</summary>
    public long TopBytes { get; set; }

    /// <summary>RETR commands answered (%r).</summary>
    public int RetrCount { get; set; }

    /// <summary>Bytes sent for RETR (%b).</summary>
    public long RetrBytes { get; set; }

    /// <summary>Messages deleted at QUIT (%d).</summary>
    public int Deleted { get; set; }

    /// <summary>Messages in the mailbox at login (%m).</summary>
    public int Messages { get; set; }

    /// <summary>Their total size at login (%s).</summary>
    public long MailboxSize { get; set; }
}
