namespace MailOps.Probes;

/// <summary>One open-relay attempt: a MAIL FROM and RCPT TO pair and how the server answered.</summary>
/// <param name="MailFrom">The reverse path sent, with its angle brackets.</param>
/// <param name="RcptTo">The forward path sent, with its angle brackets.</param>
/// <param name="MailCode">The reply code to MAIL FROM.</param>
/// <param name="RcptCode">The reply code to RCPT TO, or 0 when MAIL FROM was refused.</param>
/// <param name="Reply">The text of the last reply.</param>
/// <param name="Accepted">RCPT TO was accepted with 2xx: the server would relay (or accepts then drops).</param>
public sealed record SmtpRelayAttempt(string MailFrom, string RcptTo, int MailCode, int RcptCode, string Reply, bool Accepted)
{
    /// <inheritdoc />
    public override string ToString() => $"MAIL FROM:{MailFrom} RCPT TO:{RcptTo} -> {(Accepted ? "ACCEPTED" : "refused")} ({(RcptCode == 0 ? MailCode : RcptCode)})";
}
