namespace MailOps.Engine.Auth;

/// <summary>Checks a user's password for SMTP AUTH (and later IMAP/POP3 LOGIN): the one SASL back end.</summary>
public interface IMailAuthenticator
{
    /// <summary>True when <paramref name="user"/> exists, is enabled and <paramref name="password"/> is right.</summary>
    Task<bool> AuthenticateAsync(string user, string password, CancellationToken cancellationToken);
}
