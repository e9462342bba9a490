using System.Security.Cryptography;
using System.Text;

namespace MailOps.Engine.Auth;

/// <summary>
/// Dovecot's password schemes: a stored password is "{SCHEME}data" (doveadm-pw(1)), or bare data read with a
/// default scheme (passwd-file's "scheme=" argument). Verifies PLAIN/CLEARTEXT, SHA512-CRYPT, SHA256-CRYPT and
/// CRYPT when it holds a "$5$" or "$6$" hash; creates SHA512-CRYPT. BLF-CRYPT (bcrypt) is not implemented.
/// </summary>
public static class PasswordScheme
{
    /// <summary>The scheme new passwords are stored with, and the default for bare stored passwords.</summary>
    public const string Sha512Crypt = "SHA512-CRYPT";

    /// <summary>"$5$" hashes.</summary>
    public const string Sha256Crypt = "SHA256-CRYPT";

    /// <summary>The password itself (Dovecot also spells it CLEARTEXT).</summary>
    public const string Plain = "PLAIN";

    /// <summary>
    /// Hashes <paramref name="password"/> as "{SHA512-CRYPT}$6$..." with a random salt, ready for a passwd-file.
    /// </summary>
    /// <param name="password">The password.</param>
    /// <param name="rounds">SHA-crypt rounds; more is slower for attackers and for every login.</param>
    public static string Hash(string password, int rounds = ShaCrypt.DefaultRounds) =>
        "{" + Sha512Crypt + "}" + ShaCrypt.Sha512.Hash(password, rounds);

    /// <summary>
    /// Hashes <paramref name="password"/> as "{SHA512-CRYPT}$6$..." from characters the caller clears afterwards, so the
    /// password never becomes a string.
    /// </summary>
    public static string Hash(ReadOnlySpan<char> password, int rounds = ShaCrypt.DefaultRounds) =>
        "{" + Sha512Crypt + "}" + ShaCrypt.Sha512.Hash(password, rounds);

    /// <summary>The scheme named by a stored password's "{SCHEME}" prefix, or <paramref name="defaultScheme"/>.</summary>
    public static string SchemeOf(string storedPassword, string defaultScheme = Sha512Crypt) =>
        Split(storedPassword, defaultScheme).Scheme;

    /// <summary>True when <paramref name="password"/> matches <paramref name="storedPassword"/>, in constant time.</summary>
    /// <param name="password">The password a client sent.</param>
    /// <param name="storedPassword">"{SCHEME}data", or bare data in <paramref name="defaultScheme"/>.</param>
    /// <param name="defaultScheme">The scheme of a stored password without a prefix.</param>
    /// <exception cref="NotSupportedException">The scheme is one this class cannot verify (e.g. BLF-CRYPT).</exception>
    public static bool Verify(string password, string storedPassword, string defaultScheme = Sha512Crypt)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(storedPassword);
        var (scheme, data) = Split(storedPassword, defaultScheme);
        switch (scheme)
        {
            case "PLAIN":
            case "CLEARTEXT":
                return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(data));
            case "SHA512-CRYPT":
                return ShaCrypt.Sha512.Verify(password, data);
            case "SHA256-CRYPT":
                return ShaCrypt.Sha256.Verify(password, data);
            case "CRYPT":
                // CRYPT is whatever crypt(3) understands; only the SHA-crypt members are implemented here.
                if (data.StartsWith(ShaCrypt.Sha512.Prefix, StringComparison.Ordinal))
                    return ShaCrypt.Sha512.Verify(password, data);
                if (data.StartsWith(ShaCrypt.Sha256.Prefix, StringComparison.Ordinal))
                    return ShaCrypt.Sha256.Verify(password, data);
                throw new NotSupportedException("Only $5$ and $6$ CRYPT hashes can be verified.");
            default:
                throw new NotSupportedException($"The password scheme {scheme} is not supported.");
        }
    }

    static (string Scheme, string Data) Split(string storedPassword, string defaultScheme)
    {
        // doveadm-pw(1): "{SCHEME}" prefix, scheme names are case-insensitive.
        if (storedPassword.Length > 0 && storedPassword[0] == '{')
        {
            var close = storedPassword.IndexOf('}');
            if (close > 1)
                return (storedPassword[1..close].ToUpperInvariant(), storedPassword[(close + 1)..]);
        }
        return (defaultScheme.ToUpperInvariant(), storedPassword);
    }
}
