namespace MailOps.Engine.Auth;

/// <summary>Thrown when a user is added to a passwd-file that already holds that address.</summary>
public sealed class MailUserExistsException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="address"/>.</summary>
    public MailUserExistsException(string address)
        : base($"The mail user {address} already exists.") => Address = address;

    /// <summary>The address that already exists.</summary>
    public string Address { get; }
}
