namespace MailOps.Engine.Listeners;

/// <summary>What an SMTP listener is for, which decides its defaults (Postfix's master.cf smtp, submission, submissions).</summary>
public enum SmtpListenerKind
{
    /// <summary>Mail from other servers (port 25): no AUTH required, STARTTLS offered when a certificate is set.</summary>
    Mta,

    /// <summary>Mail from users' programs (port 587, RFC 6409): AUTH required before MAIL.</summary>
    Submission,

    /// <summary>Submission over implicit TLS (port 465, RFC 8314 3.3): TLS from the first byte, then AUTH required.</summary>
    SubmissionTls,
}
