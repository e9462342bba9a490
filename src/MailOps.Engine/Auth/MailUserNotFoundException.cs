namespace MailOps.Engine.Auth;

/// <summary>Thrown when a change names a user the passwd-file does not hold.</summary>
public sealed class MailUserNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception for <paramref name="address"/>.</summary>
    public MailUserNotFoundException(string address)
        : base($"The mail user {address} does not exist.") => Address = address;

    /// <summary>The address that was not found.</summary>
    public string Address { get; }
}
