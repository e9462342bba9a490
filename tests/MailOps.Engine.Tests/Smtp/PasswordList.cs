using MailOps.Engine.Auth;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>Users and passwords from a dictionary: the test stand-in for the passwd-file authenticator.</summary>
public sealed class PasswordList(IReadOnlyDictionary<string, string> passwords) : IMailAuthenticator
{
    /// <summary>alice@local.test with password "secret".</summary>
    public static PasswordList Standard { get; } = new(new Dictionary<string, string> { ["alice@local.test"] = "secret" });

    /// <inheritdoc/>
    public Task<bool> AuthenticateAsync(string user, string password, CancellationToken cancellationToken) =>
        Task.FromResult(passwords.TryGetValue(user, out var right) && right == password);
}
