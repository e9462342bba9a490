namespace MailOps.Engine.Configuration;

/// <summary>How the server asks DNS (SPF, DKIM and DMARC of received mail; client names and blocklists; the next hop of remote delivery).</summary>
/// <param name="NameServers">Servers as <c>host[:port]</c>; empty for the system resolver (/etc/resolv.conf).</param>
public sealed record MailDnsConfig(IReadOnlyList<string> NameServers)
{
    /// <summary>The system resolver.</summary>
    public static MailDnsConfig System { get; } = new([]);

    /// <summary>
    /// DNS blocklist zones (RFC 5782) the MTA listener looks unauthenticated clients outside mynetworks up in, refusing their
    /// recipients with 554 5.7.1 when listed (Postfix's reject_rbl_client); none by default.
    /// </summary>
    public IReadOnlyList<string> Blocklists { get; init; } = [];

    /// <summary>
    /// Look up each client's forward-confirmed reverse DNS name for the log and Received: headers (Postfix's
    /// smtpd_peername_lookup); true. When false, or when the lookup fails, the client is <c>unknown</c>.
    /// </summary>
    public bool ClientNameLookup { get; init; } = true;
}
