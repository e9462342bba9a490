namespace MailOps.Engine.Auth;

/// <summary>How a SASL exchange ended.</summary>
internal enum SaslStatus
{
    /// <summary>The client gave a user name and password to check.</summary>
    Credentials,

    /// <summary>The client cancelled, or sent a line or base64 that could not be read.</summary>
    Aborted,

    /// <summary>The response decoded but does not follow the mechanism's rules (e.g. PLAIN without two NULs).</summary>
    Malformed,

    /// <summary>The mechanism is not offered.</summary>
    Unsupported,
}
