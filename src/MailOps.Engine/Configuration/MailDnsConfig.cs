namespace MailOps.Engine.Configuration;

/// <summary>How the server asks DNS (SPF, DKIM and DMARC of received mail; the next hop of remote delivery).</summary>
/// <param name="NameServers">Servers as <c>host[:port]</c>; empty for the system resolver (/etc/resolv.conf).</param>
public sealed record MailDnsConfig(IReadOnlyList<string> NameServers)
{
    /// <summary>The system resolver.</summary>
    public static MailDnsConfig System { get; } = new([]);
}
