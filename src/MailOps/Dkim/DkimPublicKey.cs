using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace MailOps.Dkim;

/// <summary>A DKIM public key: from the <c>p=</c> of a key record, or the public half of a private key file.</summary>
public sealed class DkimPublicKey
{
    private readonly byte[] _identity;

    private DkimPublicKey(string keyType, int bits, byte[] identity, bool isPkcs1)
    {
        KeyType = keyType;
        Bits = bits;
        _identity = identity;
        IsPkcs1 = isPkcs1;
    }

    /// <summary>The key type as the record's <c>k=</c> names it: "rsa" or "ed25519".</summary>
    public string KeyType { get; }
    /// <summary>The key size in bits (RSA modulus size; 256 for Ed25519).</summary>
    public int Bits { get; }
    /// <summary>True when an RSA key was published as a bare PKCS#1 RSAPublicKey instead of a SubjectPublicKeyInfo.</summary>
    public bool IsPkcs1 { get; }

    /// <summary>True when both are the same key.</summary>
    public bool SameKeyAs(DkimPublicKey other) =>
        KeyType == other.KeyType && CryptographicOperations.FixedTimeEquals(_identity, other._identity);

    /// <summary>Reads the key of a record's <c>p=</c> (base64) for its <c>k=</c> type.</summary>
    /// <exception cref="FormatException">The data is not base64 or not a key of that type.</exception>
    /// <exception cref="NotSupportedException">The key type is neither rsa nor ed25519.</exception>
    public static DkimPublicKey FromRecord(string keyType, string base64)
    {
        byte[] data;
        try { data = Convert.FromBase64String(base64); }
        catch (FormatException) { throw new FormatException("p= is not valid base64."); }
        switch (keyType)
        {
            case "rsa":
                using (var rsa = RSA.Create())
                {
                    // RFC 6376 3.6.1: an RSA key is a DER SubjectPublicKeyInfo; some publish the bare PKCS#1 RSAPublicKey.
                    var pkcs1 = false;
                    if (!TryImport(() => { rsa.ImportSubjectPublicKeyInfo(data, out var read); return read == data.Length; }))
                    {
                        if (!TryImport(() => { rsa.ImportRSAPublicKey(data, out var read); return read == data.Length; }))
                            throw new FormatException("p= does not hold an RSA public key.");
                        pkcs1 = true;
                    }
                    return FromRsa(rsa, pkcs1);
                }
            case "ed25519":
                // RFC 8463 4.2: the raw 32-byte public key, not wrapped in ASN.1.
                if (data.Length != Ed25519PublicKeyParameters.KeySize)
                    throw new FormatException($"p= holds {data.Length} bytes; an Ed25519 key is {Ed25519PublicKeyParameters.KeySize} (RFC 8463 4.2).");
                return new DkimPublicKey("ed25519", 256, data, false);
            default:
                throw new NotSupportedException($"Unknown key type k={keyType}.");
        }
    }

    /// <summary>Reads the public half of a private key file: PEM PKCS#8 (RSA or Ed25519), PEM PKCS#1 RSA, or dkimpy's base64 Ed25519 seed.</summary>
    /// <exception cref="FormatException">The file holds no private key this reads.</exception>
    public static DkimPublicKey FromPrivateKeyFile(string path)
    {
        var text = File.ReadAllText(path);
        if (PemEncoding.TryFind(text, out var fields))
        {
            var label = text[fields.Label];
            var der = Convert.FromBase64String(text[fields.Base64Data]);
            using var rsa = RSA.Create();
            switch (label)
            {
                case "RSA PRIVATE KEY" when TryImport(() => { rsa.ImportRSAPrivateKey(der, out _); return true; }):
                    return FromRsa(rsa, false);
                case "PRIVATE KEY" when TryImport(() => { rsa.ImportPkcs8PrivateKey(der, out _); return true; }):
                    return FromRsa(rsa, false);
                case "PRIVATE KEY":
                    try
                    {
                        if (PrivateKeyFactory.CreateKey(der) is Ed25519PrivateKeyParameters ed)
                            return new DkimPublicKey("ed25519", 256, ed.GeneratePublicKey().GetEncoded(), false);
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or SecurityUtilityException or IOException) { }
                    throw new FormatException($"'{path}' holds a private key that is neither RSA nor Ed25519.");
                case "ENCRYPTED PRIVATE KEY":
                    throw new FormatException($"'{path}' is encrypted; DKIM signers read unencrypted keys.");
                default:
                    throw new FormatException($"'{path}' holds a PEM '{label}', not a private key.");
            }
        }
        // dkimpy keeps Ed25519 private keys as the base64 of the 32-byte seed.
        try
        {
            var seed = Convert.FromBase64String(text.Trim());
            if (seed.Length == Ed25519PrivateKeyParameters.KeySize)
                return new DkimPublicKey("ed25519", 256, new Ed25519PrivateKeyParameters(seed).GeneratePublicKey().GetEncoded(), false);
        }
        catch (FormatException) { }
        throw new FormatException($"'{path}' holds no PEM private key.");
    }

    private static DkimPublicKey FromRsa(RSA rsa, bool pkcs1)
    {
        var parameters = rsa.ExportParameters(false);
        return new DkimPublicKey("rsa", rsa.KeySize, [.. parameters.Modulus!, .. parameters.Exponent!], pkcs1);
    }

    private static bool TryImport(Func<bool> import)
    {
        try { return import(); }
        catch (CryptographicException) { return false; }
    }
}
