namespace MailOps.Hosts;

/// <summary>The state of a <see cref="MailHostSession"/>.</summary>
public enum MailHostSessionState
{
    /// <summary>Connected; commands run.</summary>
    Opened,
    /// <summary>The connection dropped; the next command connects again.</summary>
    Broken,
    /// <summary>Closed with Remove-MailHostSession.</summary>
    Closed,
}
