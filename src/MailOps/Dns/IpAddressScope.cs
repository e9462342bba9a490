using System.Net;
using System.Net.Sockets;

namespace MailOps.Dns;

/// <summary>Tells addresses that cannot receive mail from the Internet (private, loopback, link-local, documentation...).</summary>
public static class IpAddressScope
{
    /// <summary>Names the special range <paramref name="address"/> falls in, or null for a public address.</summary>
    public static string? SpecialRange(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return "loopback";
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 => "this-network (0.0.0.0/8)",
                10 => "private (10.0.0.0/8, RFC 1918)",
                100 when b[1] is >= 64 and <= 127 => "shared CGN (100.64.0.0/10, RFC 6598)",
                169 when b[1] == 254 => "link-local (169.254.0.0/16)",
                172 when b[1] is >= 16 and <= 31 => "private (172.16.0.0/12, RFC 1918)",
                192 when b[1] == 168 => "private (192.168.0.0/16, RFC 1918)",
                192 when b[1] == 0 && b[2] == 2 => "documentation (192.0.2.0/24, RFC 5737)",
                198 when b[1] is 18 or 19 => "benchmarking (198.18.0.0/15)",
                198 when b[1] == 51 && b[2] == 100 => "documentation (198.51.100.0/24, RFC 5737)",
                203 when b[1] == 0 && b[2] == 113 => "documentation (203.0.113.0/24, RFC 5737)",
                >= 224 => "multicast or reserved (224.0.0.0/3)",
                _ => null,
            };
        }
        if (address.IsIPv6LinkLocal) return "link-local (fe80::/10)";
        if (address.IsIPv6SiteLocal) return "site-local (fec0::/10)";
        if (address.IsIPv6Multicast) return "multicast (ff00::/8)";
        if (address.Equals(IPAddress.IPv6None)) return "unspecified (::)";
        var v6 = address.GetAddressBytes();
        if ((v6[0] & 0xfe) == 0xfc) return "unique local (fc00::/7, RFC 4193)";
        if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) return "documentation (2001:db8::/32, RFC 3849)";
        return null;
    }
}
