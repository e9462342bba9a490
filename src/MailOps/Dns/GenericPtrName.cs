using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MailOps.Dns;

/// <summary>
/// Tells PTR names that spell their own address (<c>198-51-99-10.dyn.example</c>, <c>c633630a.pool.example</c>):
/// the shape of dynamic and consumer pools, which receivers score as spam sources (M3AAWG rDNS practice).
/// </summary>
public static class GenericPtrName
{
    /// <summary>True when <paramref name="name"/> contains the parts of <paramref name="address"/> in a row, forwards or backwards, or the whole address as one number.</summary>
    public static bool LooksGeneric(string name, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var tokens = Tokens(name.ToLowerInvariant());
        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var octets = bytes.Select(b => (int)b).ToArray();
            var numbers = tokens.Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && t.Length <= 3 ? n : -1).ToArray();
            if (ContainsRun(numbers, octets) || ContainsRun(numbers, octets.Reverse().ToArray())) return true;
            var padded = string.Concat(octets.Select(o => o.ToString("D3", CultureInfo.InvariantCulture)));
            var hex = Convert.ToHexStringLower(bytes);
            return tokens.Any(t => t.Contains(padded, StringComparison.Ordinal) || t.Contains(hex, StringComparison.Ordinal));
        }
        // IPv6: the interface half (last four groups) in a row, or its 16 hex digits run together.
        var groups = Enumerable.Range(0, 8).Select(i => (bytes[2 * i] << 8) | bytes[2 * i + 1]).ToArray();
        var hexNumbers = tokens.Select(t => t.Length <= 4 && int.TryParse(t, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n) ? n : -1).ToArray();
        if (ContainsRun(hexNumbers, groups[4..])) return true;
        var lowerHalf = Convert.ToHexStringLower(bytes[8..]);
        return tokens.Any(t => t.Contains(lowerHalf, StringComparison.Ordinal));
    }

    // Splits at every character that is not a letter or digit: "198-51-99-10.dyn" -> 198, 51, 99, 10, dyn.
    private static List<string> Tokens(string name)
    {
        var tokens = new List<string>();
        var start = -1;
        for (var i = 0; i <= name.Length; i++)
        {
            var inToken = i < name.Length && char.IsAsciiLetterOrDigit(name[i]);
            if (inToken && start < 0) start = i;
            else if (!inToken && start >= 0)
            {
                tokens.Add(name[start..i]);
                start = -1;
            }
        }
        return tokens;
    }

    private static bool ContainsRun(int[] haystack, int[] run)
    {
        for (var i = 0; i + run.Length <= haystack.Length; i++)
        {
            var j = 0;
            while (j < run.Length && haystack[i + j] == run[j]) j++;
            if (j == run.Length) return true;
        }
        return false;
    }
}
