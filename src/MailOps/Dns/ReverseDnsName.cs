using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailOps.Dns;

/// <summary>Writes an address the way reverse DNS and DNS blocklists look it up: octets or nibbles, least significant first.</summary>
public static class ReverseDnsName
{
    /// <summary>The reversed labels without a suffix: <c>10.99.51.198</c> for 198.51.99.10, 32 nibbles for IPv6 (RFC 5782 2.1, 2.4).</summary>
    public static string Labels(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        var text = new StringBuilder(64);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            for (var i = bytes.Length - 1; i >= 0; i--)
            {
                if (text.Length > 0) text.Append('.');
                text.Append(bytes[i]);
            }
            return text.ToString();
        }
        // RFC 3596 2.5: each nibble is a label, lowest nibble first.
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (text.Length > 0) text.Append('.');
            text.Append("0123456789abcdef"[bytes[i] & 0xf]).Append('.').Append("0123456789abcdef"[bytes[i] >> 4]);
        }
        return text.ToString();
    }

    /// <summary>The PTR owner name: <c>…in-addr.arpa</c> (RFC 1035 3.5) or <c>…ip6.arpa</c> (RFC 3596 2.5).</summary>
    public static string PtrName(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var v4 = address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;
        return Labels(address) + (v4 ? ".in-addr.arpa" : ".ip6.arpa");
    }
}
