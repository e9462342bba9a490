using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MailOps.Hosts;

/// <summary>One host line of an OpenSSH known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").</summary>
internal sealed class KnownHostEntry
{
    private readonly string _hosts;

    private KnownHostEntry(string hosts, SshHostKey key, bool revoked)
    {
        _hosts = hosts;
        Key = key;
        IsRevoked = revoked;
    }

    public SshHostKey Key { get; }

    public bool IsRevoked { get; }

    /// <summary>Parses a line; null for comments, blank lines, @cert-authority lines and lines it cannot read.</summary>
    public static KnownHostEntry? Parse(string line)
    {
        var fields = line.Trim().Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0 || fields[0].StartsWith('#')) return null;
        var revoked = false;
        if (fields[0].StartsWith('@'))
        {
            // Host certificates are not supported: a CA line vouches for no key by itself.
            if (fields[0] != "@revoked") return null;
            revoked = true;
            fields = fields[1..];
        }
        if (fields.Length < 3) return null;
        try
        {
            var key = new SshHostKey(Convert.FromBase64String(fields[2]));
            return key.KeyType == fields[1] ? new KnownHostEntry(fields[0], key, revoked) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Whether the entry's host field names <paramref name="host"/> (<c>name</c> or <c>[name]:port</c>).</summary>
    public bool Matches(string host)
    {
        if (_hosts.StartsWith("|1|", StringComparison.Ordinal)) return MatchesHashed(host);
        var matched = false;
        foreach (var pattern in _hosts.Split(','))
        {
            var negated = pattern.StartsWith('!');
            var body = negated ? pattern[1..] : pattern;
            if (!Wildcard(body).IsMatch(host)) continue;
            if (negated) return false;
            matched = true;
        }
        return matched;
    }

    // A hashed host is |1|base64(salt)|base64(HMAC-SHA1(salt, host)) (OpenSSH hostfile.c, HashKnownHosts).
    private bool MatchesHashed(string host)
    {
        var parts = _hosts.Split('|');
        if (parts.Length != 4) return false;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(host)), hash);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    // ssh_config(5) PATTERNS: * and ? wildcards, matched without regard to case.
    private static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
