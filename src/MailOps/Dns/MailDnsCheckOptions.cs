namespace MailOps.Dns;

/// <summary>What a caller asks of one domain's check beyond the domain name.</summary>
public sealed class MailDnsCheckOptions
{
    /// <summary>Checks to run; all when empty.</summary>
    public IReadOnlyList<MailDnsCheck> Checks { get; init; } = [];
    /// <summary>DKIM selectors to look up.</summary>
    public IReadOnlyList<string> DkimSelectors { get; init; } = [];
    /// <summary>A private key file (PEM) whose public half the published DKIM record must match.</summary>
    public string? DkimPrivateKeyPath { get; init; }
    /// <summary>DNS blocklist zones (e.g. zen.spamhaus.org) to look MX addresses up in.</summary>
    public IReadOnlyList<string> Blocklists { get; init; } = [];
    /// <summary>An SPF record to judge instead of the published one.</summary>
    public string? SpfRecord { get; init; }
    /// <summary>A DMARC record to judge instead of the published one.</summary>
    public string? DmarcRecord { get; init; }
    /// <summary>A DKIM key record to judge instead of the published one (applies to each selector).</summary>
    public string? DkimRecord { get; init; }
    /// <summary>TCP port of the MTA-STS policy host (443; tests change it).</summary>
    public int MtaStsPort { get; init; } = 443;
    /// <summary>
    /// Roots to validate the MTA-STS policy host's certificate against instead of the system store (the host name is still checked);
    /// null for the system store.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? MtaStsTrustedRoots { get; init; }
}
