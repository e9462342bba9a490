using System.Net;

namespace MailOps.Engine.Policy;

/// <summary>
/// Decides whether a sender may start a transaction and whether a recipient is accepted: local domains take mail
/// for known recipients only; other domains are relayed only for authenticated clients or clients in mynetworks
/// (Postfix's permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination).
/// </summary>
public sealed class RelayPolicy
{
    private readonly ILocalRecipients _recipients;
    private readonly IReadOnlyList<IPNetwork> _myNetworks;

    /// <summary>A policy over <paramref name="recipients"/>, relaying for the CIDR ranges in <paramref name="myNetworks"/>.</summary>
    public RelayPolicy(ILocalRecipients recipients, IEnumerable<IPNetwork> myNetworks)
    {
        _recipients = recipients;
        _myNetworks = [.. myNetworks];
    }

    /// <summary>A policy from CIDR strings such as "127.0.0.0/8" and "::1/128" (Postfix's mynetworks).</summary>
    public static RelayPolicy FromCidrs(ILocalRecipients recipients, IEnumerable<string> myNetworks) =>
        new(recipients, myNetworks.Select(n => IPNetwork.Parse(n.Trim())));

    /// <summary>True when <paramref name="client"/> is inside one of the mynetworks ranges.</summary>
    public bool IsInMyNetworks(IPAddress client)
    {
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        foreach (IPNetwork network in _myNetworks)
        {
            if (network.BaseAddress.AddressFamily == client.AddressFamily && network.Contains(client))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Checks MAIL FROM: a submission listener requires AUTH first.</summary>
    public PolicyDecision CheckSender(bool authenticationRequired, string? authUser)
    {
        if (authenticationRequired && authUser is null)
        {
            // RFC 4954 6: 530 5.7.0 when the server requires authentication to proceed.
            return new PolicyDecision(530, "5.7.0", "Authentication required");
        }

        return new PolicyDecision(250, "2.1.0", "Ok");
    }

    /// <summary>Checks one RCPT TO address for a client at <paramref name="client"/>, authenticated as <paramref name="authUser"/>.</summary>
    public PolicyDecision CheckRecipient(string address, IPAddress client, string? authUser)
    {
        int at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return new PolicyDecision(501, "5.1.3", "Bad recipient address syntax");
        }

        string domain = address[(at + 1)..].TrimEnd('.');
        if (_recipients.IsLocalDomain(domain))
        {
            return _recipients.Resolve(address) is null
                ? new PolicyDecision(550, "5.1.1", $"<{address}>: Recipient address rejected: User unknown in virtual mailbox table")
                : PolicyDecision.Accept;
        }

        if (authUser is not null || IsInMyNetworks(client))
        {
            return PolicyDecision.Accept;
        }

        return new PolicyDecision(554, "5.7.1", $"<{address}>: Relay access denied");
    }
}
