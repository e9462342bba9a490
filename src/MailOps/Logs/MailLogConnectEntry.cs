namespace MailOps.Logs;

/// <summary>
/// smtpd's session lines: <c>connect from name[addr]</c>, <c>disconnect from name[addr] ehlo=1 ... commands=N</c>, and
/// <c>lost connection</c>/<c>timeout</c>/<c>too many errors after CMD from name[addr]</c>.
/// </summary>
public sealed class MailLogConnectEntry : MailLogEntry
{
    /// <summary>The client's verified name, or <c>unknown</c>.</summary>
    public string ClientName { get; init; } = "";

    /// <summary>The client's IP address.</summary>
    public string ClientAddress { get; init; } = "";

    /// <summary>For a disconnect, smtpd's command tally (<c>ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4</c>); else null.</summary>
    public string? Commands { get; init; }

    /// <summary>For a lost connection, the command after which it happened (DATA, RCPT, CONNECT, ...); else null.</summary>
    public string? AfterCommand { get; init; }
}
