using System.Security.Cryptography;
using System.Text;

namespace MailOps.Engine.Auth;

/// <summary>
/// SHA-crypt, the "$5$" (SHA-256) and "$6$" (SHA-512) password hashes of glibc's crypt(3), as specified by
/// Ulrich Drepper ("Unix crypt using SHA-256 and SHA-512", akkadia.org/drepper/SHA-crypt.txt) and used by
/// Dovecot's SHA256-CRYPT and SHA512-CRYPT schemes. .NET has no crypt(3), so this is the algorithm itself.
/// </summary>
public sealed class ShaCrypt
{
    /// <summary>Rounds used when a hash names none (the spec's default).</summary>
    public const int DefaultRounds = 5000;

    /// <summary>Fewest rounds the spec allows; smaller requests are raised to it.</summary>
    public const int MinimumRounds = 1000;

    /// <summary>Most rounds the spec allows; larger requests are lowered to it.</summary>
    public const int MaximumRounds = 999_999_999;

    /// <summary>Longest salt the spec uses; longer salts are cut to it.</summary>
    public const int MaximumSaltLength = 16;

    const string RoundsPrefix = "rounds=";

    // crypt(3)'s base-64 alphabet, which is not RFC 4648's.
    const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // The spec's byte order for the final encoding: each triple becomes four characters (b64_from_24bit).
    static readonly int[] Sha512Order =
    [
        0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51,
        31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60,
        40, 61, 19, 62, 20, 41,
    ];

    static readonly int[] Sha256Order =
    [
        0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9, 19, 29,
    ];

    /// <summary>SHA-256 crypt, prefix "$5$" (Dovecot's SHA256-CRYPT).</summary>
    public static ShaCrypt Sha256 { get; } = new("$5$", HashAlgorithmName.SHA256, 32);

    /// <summary>SHA-512 crypt, prefix "$6$" (Dovecot's SHA512-CRYPT).</summary>
    public static ShaCrypt Sha512 { get; } = new("$6$", HashAlgorithmName.SHA512, 64);

    readonly HashAlgorithmName _algorithm;
    readonly int _digestLength;

    ShaCrypt(string prefix, HashAlgorithmName algorithm, int digestLength)
    {
        Prefix = prefix;
        _algorithm = algorithm;
        _digestLength = digestLength;
    }

    /// <summary>The crypt(3) identifier that starts every hash of this kind: "$5$" or "$6$".</summary>
    public string Prefix { get; }

    /// <summary>
    /// Hashes <paramref name="password"/> with a fresh 16-character salt from <see cref="RandomNumberGenerator"/>.
    /// The rounds are written into the hash ("rounds=N$") unless they are the default.
    /// </summary>
    /// <param name="password">The password; hashed as its UTF-8 bytes, as Dovecot and crypt(3) see it.</param>
    /// <param name="rounds">Rounds, clamped to <see cref="MinimumRounds"/>..<see cref="MaximumRounds"/>.</param>
    public string Hash(string password, int rounds = DefaultRounds)
    {
        ArgumentNullException.ThrowIfNull(password);
        return Hash(password, NewSetting(rounds));
    }

    /// <summary>
    /// Hashes <paramref name="password"/> as <see cref="Hash(string, int)"/> does, from characters the caller can clear
    /// afterwards (a password taken out of a SecureString): no string holds it, and its UTF-8 copy is zeroed.
    /// </summary>
    public string Hash(ReadOnlySpan<char> password, int rounds = DefaultRounds)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(password)];
        try
        {
            Encoding.UTF8.GetBytes(password, bytes);
            return HashBytes(bytes, NewSetting(rounds));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    string NewSetting(int rounds)
    {
        var salt = RandomNumberGenerator.GetString(Alphabet, MaximumSaltLength);
        return rounds == DefaultRounds ? Prefix + salt : $"{Prefix}{RoundsPrefix}{rounds}${salt}";
    }

    /// <summary>
    /// crypt(3) itself: hashes <paramref name="password"/> with the salt and rounds named in
    /// <paramref name="setting"/> ("$6$salt", "$6$rounds=N$salt", or a whole earlier hash, whose hash part is ignored).
    /// </summary>
    /// <exception cref="FormatException">The setting does not start with <see cref="Prefix"/>.</exception>
    public string Hash(string password, string setting)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(setting);
        return HashBytes(Encoding.UTF8.GetBytes(password), setting);
    }

    string HashBytes(byte[] password, string setting)
    {
        var (salt, rounds, roundsCustom) = ParseSetting(setting);
        var digest = Compute(password, Encoding.UTF8.GetBytes(salt), rounds);
        var result = new StringBuilder(Prefix.Length + 24 + salt.Length + 1 + 86);
        result.Append(Prefix);
        // The spec writes "rounds=" back whenever the setting carried it, even when it equals the default.
        if (roundsCustom)
            result.Append(RoundsPrefix).Append(rounds).Append('$');
        result.Append(salt).Append('$');
        Encode(digest, result);
        return result.ToString();
    }

    /// <summary>
    /// True when <paramref name="cryptHash"/> is this kind of hash and <paramref name="password"/> hashes to it;
    /// the comparison takes the same time wherever the hashes differ.
    /// </summary>
    public bool Verify(string password, string cryptHash)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(cryptHash);
        if (!cryptHash.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        string computed;
        try
        {
            computed = Hash(password, cryptHash);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(cryptHash));
    }

    (string Salt, int Rounds, bool RoundsCustom) ParseSetting(string setting)
    {
        if (!setting.StartsWith(Prefix, StringComparison.Ordinal))
            throw new FormatException($"A {Prefix} crypt setting must start with \"{Prefix}\".");
        var rest = setting.AsSpan(Prefix.Length);
        var rounds = DefaultRounds;
        var roundsCustom = false;
        if (rest.StartsWith(RoundsPrefix, StringComparison.Ordinal))
        {
            // The spec reads the number with strtoul and needs a '$' after it; otherwise "rounds=" is salt.
            var digits = rest[RoundsPrefix.Length..];
            var end = 0;
            while (end < digits.Length && char.IsAsciiDigit(digits[end]))
                end++;
            if (end > 0 && end < digits.Length && digits[end] == '$')
            {
                var value = ulong.TryParse(digits[..end], out var parsed) ? parsed : ulong.MaxValue;
                rounds = (int)Math.Clamp(value, (ulong)MinimumRounds, (ulong)MaximumRounds);
                roundsCustom = true;
                rest = digits[(end + 1)..];
            }
        }
        // The salt ends at the next '$' or after 16 characters, whichever comes first.
        var saltEnd = 0;
        while (saltEnd < rest.Length && saltEnd < MaximumSaltLength && rest[saltEnd] != '$')
            saltEnd++;
        return (rest[..saltEnd].ToString(), rounds, roundsCustom);
    }

    byte[] Compute(byte[] password, byte[] salt, int rounds)
    {
        var n = _digestLength;

        // Digest B: password, salt, password.
        using var b = IncrementalHash.CreateHash(_algorithm);
        b.AppendData(password);
        b.AppendData(salt);
        b.AppendData(password);
        var digestB = b.GetHashAndReset();

        // Digest A: password, salt, B repeated to the password's length, then one of B or the password for each
        // bit of the password length, lowest bit first.
        using var a = IncrementalHash.CreateHash(_algorithm);
        a.AppendData(password);
        a.AppendData(salt);
        int remaining;
        for (remaining = password.Length; remaining > n; remaining -= n)
            a.AppendData(digestB);
        a.AppendData(digestB, 0, remaining);
        for (var bits = password.Length; bits > 0; bits >>= 1)
            if ((bits & 1) != 0)
                a.AppendData(digestB);
            else
                a.AppendData(password);
        var digestA = a.GetHashAndReset();

        // Digest DP: the password once per password byte; sequence P is DP repeated to the password's length.
        using var dp = IncrementalHash.CreateHash(_algorithm);
        for (var i = 0; i < password.Length; i++)
            dp.AppendData(password);
        var p = Repeat(dp.GetHashAndReset(), password.Length);

        // Digest DS: the salt 16 + A[0] times; sequence S is DS cut to the salt's length.
        using var ds = IncrementalHash.CreateHash(_algorithm);
        for (var i = 0; i < 16 + digestA[0]; i++)
            ds.AppendData(salt);
        var s = Repeat(ds.GetHashAndReset(), salt.Length);

        // The rounds: alternate P and C, add S unless the round divides by 3, P unless it divides by 7.
        var c = digestA;
        using var round = IncrementalHash.CreateHash(_algorithm);
        for (var i = 0; i < rounds; i++)
        {
            if ((i & 1) != 0)
                round.AppendData(p);
            else
                round.AppendData(c);
            if (i % 3 != 0)
                round.AppendData(s);
            if (i % 7 != 0)
                round.AppendData(p);
            if ((i & 1) != 0)
                round.AppendData(c);
            else
                round.AppendData(p);
            c = round.GetHashAndReset();
        }
        CryptographicOperations.ZeroMemory(p);
        return c;
    }

    static byte[] Repeat(byte[] digest, int length)
    {
        var result = new byte[length];
        for (var i = 0; i < length; i++)
            result[i] = digest[i % digest.Length];
        return result;
    }

    void Encode(byte[] digest, StringBuilder output)
    {
        var order = _digestLength == 64 ? Sha512Order : Sha256Order;
        for (var i = 0; i + 2 < order.Length; i += 3)
            Append24(output, digest[order[i]], digest[order[i + 1]], digest[order[i + 2]], 4);
        // The leftover bytes: SHA-512 has one (63) in 2 characters, SHA-256 two (31, 30) in 3.
        if (_digestLength == 64)
            Append24(output, 0, 0, digest[63], 2);
        else
            Append24(output, 0, digest[31], digest[30], 3);
    }

    static void Append24(StringBuilder output, byte b2, byte b1, byte b0, int characters)
    {
        var w = (b2 << 16) | (b1 << 8) | b0;
        for (var i = 0; i < characters; i++)
        {
            output.Append(Alphabet[w & 0x3f]);
            w >>= 6;
        }
    }
}
