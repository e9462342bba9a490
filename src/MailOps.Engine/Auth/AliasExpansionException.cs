namespace MailOps.Engine.Auth;

/// <summary>
/// Alias expansion ran into Postfix's limits (a loop or too many addresses): like cleanup(8), the message is not
/// accepted and the client should try again later, "451 4.6.0 Alias expansion error".
/// </summary>
public sealed class AliasExpansionException : Exception
{
    /// <summary>Creates the exception for the address whose expansion failed.</summary>
    public AliasExpansionException(string address, string reason)
        : base($"Alias expansion error for {address}: {reason}.") => Address = address;

    /// <summary>The address whose expansion failed.</summary>
    public string Address { get; }

    /// <summary>The RFC 3463 enhanced status code cleanup(8) answers with: 4.6.0.</summary>
    public string EnhancedStatusCode => "4.6.0";
}
