namespace MailOps.Engine.Smtp;

/// <summary>Receives SMTP session events, e.g. to write them as Postfix-format log lines. Must not throw or block.</summary>
public interface ISmtpSessionObserver
{
    /// <summary>Called for each event, on the session's own task.</summary>
    void OnEvent(SmtpSessionEvent sessionEvent);
}
