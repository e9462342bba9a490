namespace MailOps.Probes;

/// <summary>How a mail-flow test fetches the message back.</summary>
public enum MailFetchProtocol
{
    /// <summary>IMAP (RFC 9051): searched by its marker header in INBOX.</summary>
    Imap,
    /// <summary>POP3 (RFC 1939): each message's header read until the marker is found.</summary>
    Pop3,
}
