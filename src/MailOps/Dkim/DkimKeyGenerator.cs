using System.Security.Cryptography;
using System.Text;
using MailOps.Dns;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.EdEC;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace MailOps.Dkim;

/// <summary>
/// Creates DKIM key pairs: writes the private key (PEM PKCS#8, which OpenDKIM, rspamd and dkimpy all read) with mode 0600
/// from the moment the file exists, and returns what to publish in DNS and put in OpenDKIM's tables.
/// </summary>
public static class DkimKeyGenerator
{
    /// <summary>The algorithm used when none is given.</summary>
    public const DkimKeyAlgorithm DefaultAlgorithm = DkimKeyAlgorithm.Rsa2048;

    /// <summary>The longest character-string a TXT record may hold (RFC 1035 3.3).</summary>
    private const int MaxTxtString = 255;

    /// <summary>The selector used when none is given: <c>s</c> and the year and month, e.g. <c>s202611</c>, so the next rotation gets a new name.</summary>
    public static string DefaultSelector(DateTimeOffset now) => "s" + now.UtcDateTime.ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The private key file for a domain and selector: <c>&lt;directory&gt;/&lt;domain&gt;.&lt;selector&gt;.key</c>.</summary>
    public static string KeyFilePath(string directory, string domain, string selector) =>
        Path.Combine(directory, $"{domain}.{selector}.key");

    /// <summary>Checks a selector: dot-separated labels of letters, digits and hyphens (RFC 6376 3.1), returned lower case.</summary>
    public static bool TryNormalizeSelector(string? text, out string selector, out string error)
    {
        selector = "";
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = "The selector is empty."; return false; }
        var name = text.Trim().ToLowerInvariant();
        foreach (var label in name.Split('.'))
        {
            // RFC 6376 3.1: selector = sub-domain *( "." sub-domain ), sub-domain as in RFC 5321 4.1.2.
            if (label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-') || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                error = $"'{text}' is not a selector: use letters, digits and hyphens in dot-separated labels of up to 63 characters (RFC 6376 3.1).";
                return false;
            }
        }
        selector = name;
        return true;
    }

    /// <summary>The key size in bits of an algorithm.</summary>
    public static int KeySize(DkimKeyAlgorithm algorithm) => algorithm switch
    {
        DkimKeyAlgorithm.Rsa1024 => 1024,
        DkimKeyAlgorithm.Rsa2048 => 2048,
        DkimKeyAlgorithm.Rsa3072 => 3072,
        DkimKeyAlgorithm.Rsa4096 => 4096,
        DkimKeyAlgorithm.Ed25519 => 256,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    /// <summary>Generates a key pair, writes the private key and returns the key's publication data.</summary>
    /// <param name="domain">The signing domain (validated and normalised).</param>
    /// <param name="selector">The selector (validated and lower-cased).</param>
    /// <param name="algorithm">The key algorithm.</param>
    /// <param name="directory">The directory of the key file; created when missing.</param>
    /// <param name="testing">Publish with <c>t=y</c> (RFC 6376 3.6.1).</param>
    /// <param name="force">Replace an existing key file.</param>
    /// <exception cref="ArgumentException">The domain or selector is invalid.</exception>
    /// <exception cref="DkimKeyExistsException">The key file exists and <paramref name="force"/> is false.</exception>
    public static DkimKey Create(string domain, string selector, DkimKeyAlgorithm algorithm, string directory, bool testing = false, bool force = false)
    {
        if (!MailDomainName.TryNormalize(domain, out var d, out var error)) throw new ArgumentException(error, nameof(domain));
        if (!TryNormalizeSelector(selector, out var s, out error)) throw new ArgumentException(error, nameof(selector));
        var bits = KeySize(algorithm);
        var path = Path.GetFullPath(KeyFilePath(directory, d, s));
        if (File.Exists(path) && !force) throw new DkimKeyExistsException(path);

        string pem, publicKey, keyType;
        if (algorithm == DkimKeyAlgorithm.Ed25519)
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            var pair = generator.GenerateKeyPair();
            var seed = ((Ed25519PrivateKeyParameters)pair.Private).GetEncoded();
            // RFC 8410 7: PKCS#8 v1 holding the 32-byte seed as an OCTET STRING, the form openssl genpkey writes.
            var info = new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), new DerOctetString(seed));
            pem = PemEncoding.WriteString("PRIVATE KEY", info.GetDerEncoded());
            CryptographicOperations.ZeroMemory(seed);
            // RFC 8463 4.2: p= is the raw public key, not a SubjectPublicKeyInfo.
            publicKey = Convert.ToBase64String(((Ed25519PublicKeyParameters)pair.Public).GetEncoded());
            keyType = "ed25519";
        }
        else
        {
            using var rsa = RSA.Create(bits);
            pem = rsa.ExportPkcs8PrivateKeyPem();
            // RFC 6376 3.6.1: p= is the DER SubjectPublicKeyInfo in base64.
            publicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
            keyType = "rsa";
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WritePrivateKey(path, pem, force);

        var dnsName = $"{s}._domainkey.{d}";
        var dnsValue = $"v=DKIM1; k={keyType}; {(testing ? "t=y; " : "")}p={publicKey}";
        return new DkimKey
        {
            Domain = d,
            Selector = s,
            Algorithm = algorithm,
            KeySize = bits,
            PrivateKeyPath = path,
            Testing = testing,
            PublicKey = publicKey,
            DnsName = dnsName,
            DnsValue = dnsValue,
            ZoneFileRecord = ZoneFileRecord(dnsName, dnsValue),
            KeyTable = $"{dnsName} {d}:{s}:{path}",
            SigningTable = $"*@{d} {dnsName}",
        };
    }

    /// <summary>Formats a TXT record in zone file syntax, its text cut into quoted strings of at most 255 bytes (RFC 1035 3.3.14).</summary>
    public static string ZoneFileRecord(string name, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var strings = new List<string>();
        for (var i = 0; i < bytes.Length; i += MaxTxtString)
            strings.Add("\"" + Encoding.ASCII.GetString(bytes, i, Math.Min(MaxTxtString, bytes.Length - i)).Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"");
        return strings.Count == 1
            ? $"{name}. IN TXT {strings[0]}"
            : $"{name}. IN TXT ( {string.Join("\n\t", strings)} )";
    }

    private static void WritePrivateKey(string path, string pem, bool force)
    {
        var bytes = Encoding.ASCII.GetBytes(pem + "\n");
        // Written to a fresh file that is 0600 from creation, so the key is never readable by others, not even for a moment.
        var target = force ? Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp") : path;
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        FileStream stream;
        try { stream = new FileStream(target, options); }
        catch (IOException e) when (!force && File.Exists(path)) { throw new DkimKeyExistsException(path, e); }
        try
        {
            using (stream)
            {
                stream.Write(bytes);
                stream.Flush(true);
            }
            // Replacing by rename keeps the old key intact until the new one is complete.
            if (force) File.Move(target, path, overwrite: true);
        }
        catch
        {
            File.Delete(target);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
