namespace MailOps.Engine.Auth;

/// <summary>Thrown when an alias is added for an address the alias table already holds.</summary>
public sealed class MailAliasExistsException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="address"/>.</summary>
    public MailAliasExistsException(string address)
        : base($"The mail alias {address} already exists.") => Address = address;

    /// <summary>The alias address that already exists.</summary>
    public string Address { get; }
}
