namespace MailOps.Dkim;

/// <summary>The kind and size of a DKIM signing key that <see cref="DkimKeyGenerator"/> creates.</summary>
public enum DkimKeyAlgorithm
{
    /// <summary>RSA with a 2048-bit modulus: the default, what RFC 8301 3.2 asks signers for.</summary>
    Rsa2048,
    /// <summary>RSA with a 3072-bit modulus.</summary>
    Rsa3072,
    /// <summary>RSA with a 4096-bit modulus: the largest verifiers must handle (RFC 8301 3.2).</summary>
    Rsa4096,
    /// <summary>RSA with a 1024-bit modulus: still verified, but weaker than RFC 8301 3.2 recommends.</summary>
    Rsa1024,
    /// <summary>Ed25519 (RFC 8463): short keys, not yet verified by every receiver; publish an RSA key beside it.</summary>
    Ed25519,
}
