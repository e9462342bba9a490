namespace MailOps.Engine.Auth;

/// <summary>Thrown when a change names an alias the alias table does not hold.</summary>
public sealed class MailAliasNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception for <paramref name="address"/>.</summary>
    public MailAliasNotFoundException(string address)
        : base($"The mail alias {address} does not exist.") => Address = address;

    /// <summary>The alias address that was not found.</summary>
    public string Address { get; }
}
