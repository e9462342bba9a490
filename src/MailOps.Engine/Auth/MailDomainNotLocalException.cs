namespace MailOps.Engine.Auth;

/// <summary>Thrown when a user or alias is given an address outside the server's local domains.</summary>
public sealed class MailDomainNotLocalException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="address"/> and the domains that are local.</summary>
    public MailDomainNotLocalException(string address, IReadOnlyList<string> localDomains)
        : base($"{address} is not in a local domain of this server ({string.Join(", ", localDomains)}); mail for it would never be delivered here.")
    {
        Address = address;
        LocalDomains = localDomains;
    }

    /// <summary>The address that was refused.</summary>
    public string Address { get; }

    /// <summary>The server's local domains.</summary>
    public IReadOnlyList<string> LocalDomains { get; }
}
