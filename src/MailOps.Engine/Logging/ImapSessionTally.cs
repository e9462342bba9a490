namespace MailOps.Engine.Logging;

/// <summary>What an IMAP session did, for its logout line (Dovecot 2.3's imap_logout_format variables).</summary>
public sealed class ImapSessionTally
{
    /// <summary>Bytes received from the client (%i).</summary>
    public long In { get; set; }

    /// <summary>Bytes sent to the client (%o).</summary>
    public long Out { get; set; }

    /// <summary>Messages given \Deleted (%{deleted}).</summary>
    public int Deleted { get; set; }

    /// <summary>Messages expunged (%{expunged}).</summary>
    public int Expunged { get; set; }

    /// <summary>Header fetches (%{fetch_hdr_count}).</summary>
    public int HeaderCount { get; set; }

    /// <summary>Bytes of header fetches (%{fetch_hdr_bytes}).</summary>
    public long HeaderBytes { get; set; }

    /// <summary>Body fetches (%{fetch_body_count}).</summary>
    public int BodyCount { get; set; }

    /// <summary>Bytes of body fetches (%{fetch_body_bytes}).</summary>
    public long BodyBytes { get; set; }
}
