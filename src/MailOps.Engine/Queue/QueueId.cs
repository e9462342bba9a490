using System.Security.Cryptography;

namespace MailOps.Engine.Queue;

/// <summary>
/// Queue IDs in Postfix's long form: seconds and microseconds in base 52, the letter 'z', then a random part in
/// base 51 (no 'z'), so IDs sort roughly by arrival and never need a lock to be unique.
/// </summary>
public static class QueueId
{
    // Postfix long queue IDs use digits and consonants only, so an ID never spells a word.
    private const string Alphabet = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

    /// <summary>A new queue ID, e.g. "4dVd2x0Kq7zRjb4B".</summary>
    public static string New()
    {
        var now = DateTimeOffset.UtcNow;
        long seconds = now.ToUnixTimeSeconds();
        long micros = (now.UtcTicks / 10) % 1_000_000;
        Span<char> id = stackalloc char[16];
        Encode(seconds, id[..6]);
        Encode(micros, id[6..10]);
        id[10] = 'z';
        Span<byte> random = stackalloc byte[5];
        RandomNumberGenerator.Fill(random);
        for (int i = 0; i < 5; i++)
        {
            id[11 + i] = Alphabet[random[i] % 51];
        }

        return new string(id);
    }

    /// <summary>True when <paramref name="id"/> is made only of queue ID characters (so it is safe as a file name).</summary>
    public static bool IsValid(string id)
    {
        if (id.Length is < 6 or > 32)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!Alphabet.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void Encode(long value, Span<char> into)
    {
        for (int i = into.Length - 1; i >= 0; i--)
        {
            into[i] = Alphabet[(int)(value % 52)];
            value /= 52;
        }
    }
}
