namespace MailOps.Engine.Configuration;

/// <summary>What the server does with received mail that fails DMARC under a p=reject policy.</summary>
public enum DmarcRejectAction
{
    /// <summary>Refuse it at the end of DATA with 550 5.7.1 (RFC 7489 6.7).</summary>
    Reject,
    /// <summary>Accept it into the hold queue, for an administrator to release or delete.</summary>
    Quarantine,
}
