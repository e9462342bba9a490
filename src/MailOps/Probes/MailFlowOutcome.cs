namespace MailOps.Probes;

/// <summary>How a mail-flow test ended.</summary>
public enum MailFlowOutcome
{
    /// <summary>The message was sent and fetched back.</summary>
    Success,
    /// <summary>The SMTP server did not take the message (see the Send probe).</summary>
    SendFailed,
    /// <summary>The mailbox could not be reached or the login failed.</summary>
    FetchFailed,
    /// <summary>The message did not arrive within the timeout.</summary>
    NotReceived,
}
