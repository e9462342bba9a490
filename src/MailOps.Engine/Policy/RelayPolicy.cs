using System.Net;
using MailOps.Engine.Store;

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

    /// <summary>
    /// The mail store, asked at RCPT whether a local recipient's mailbox is full; null accepts every mailbox (the store
    /// still refuses a message that does not fit when it is delivered).
    /// </summary>
    public IMailStore? Mailboxes { get; init; }

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

    /// <summary>
    /// Checks, after <see cref="CheckRecipient"/> accepted it, whether the mailbox of a local recipient (an address or an
    /// alias of one mailbox) is already full: then 452 4.2.2, a temporary refusal (RFC 3463 3.3: X.2.2 is a persistent
    /// transient failure, the user can make room), as Postfix replies with Dovecot's quota-status service in front of it.
    /// </summary>
    public async Task<PolicyDecision> CheckMailboxRoomAsync(string address, CancellationToken cancellationToken)
    {
        return await LimitedMailboxAsync(address, cancellationToken).ConfigureAwait(false) is { Usage.IsFull: true }
            ? new PolicyDecision(452, "4.2.2", $"<{address}>: Recipient address rejected: Mailbox is full")
            : PolicyDecision.Accept;
    }

    /// <summary>
    /// At the end of DATA: refuses the message with 552 5.2.2 (as Dovecot's LMTP with quota_full_tempfail = no) when every
    /// recipient is one local mailbox with a limit and none of them has room for it as it would be stored (LF line ends,
    /// with its Delivered-To header). When some recipient can take it, it is queued and the others bounce at delivery.
    /// </summary>
    /// <param name="recipients">The transaction's recipients.</param>
    /// <param name="contentLength">The content's length as queued (CRLF): an upper bound of the stored size.</param>
    /// <param name="openContent">Opens the content as queued, read only when the upper bound does not fit anywhere.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public async Task<PolicyDecision> CheckMessageRoomAsync(IReadOnlyList<string> recipients, long contentLength, Func<Stream> openContent,
        CancellationToken cancellationToken)
    {
        if (Mailboxes is null || recipients.Count == 0) return PolicyDecision.Accept;
        var mailboxes = new List<(string Mailbox, MailQuotaUsage Usage)>();
        foreach (var address in recipients)
        {
            if (await LimitedMailboxAsync(address, cancellationToken).ConfigureAwait(false) is not { } mailbox) return PolicyDecision.Accept;
            mailboxes.Add(mailbox);
        }
        // Local delivery prepends "Delivered-To: <mailbox>" (stored with LF).
        if (mailboxes.Any(m => m.Usage.Allows(contentLength + m.Mailbox.Length + 15))) return PolicyDecision.Accept;
        long stored;
        await using (var content = openContent())
        {
            (stored, _) = await LfMessageCopy.CopyAsync(content, Stream.Null, cancellationToken).ConfigureAwait(false);
        }
        return mailboxes.Any(m => m.Usage.Allows(stored + m.Mailbox.Length + 15))
            ? PolicyDecision.Accept
            : new PolicyDecision(552, "5.2.2", $"<{recipients[0]}> {MailQuotaExceededException.DefaultMessage}");
    }

    // The one local mailbox an address is delivered to, with its quota usage; null when there is not exactly one, or it has no limit.
    private async Task<(string Mailbox, MailQuotaUsage Usage)?> LimitedMailboxAsync(string address, CancellationToken cancellationToken)
    {
        var at = address.LastIndexOf('@');
        if (Mailboxes is null || at <= 0 || !_recipients.IsLocalDomain(address[(at + 1)..].TrimEnd('.'))) return null;
        // An alias of several mailboxes is taken: the full ones bounce alone at delivery.
        if (_recipients.Resolve(address) is not [var target]) return null;
        var targetAt = target.LastIndexOf('@');
        if (targetAt <= 0 || !_recipients.IsLocalDomain(target[(targetAt + 1)..].TrimEnd('.'))) return null;
        IMailAccount account;
        try
        {
            account = Mailboxes.Open(LocalMailbox.Of(target));
        }
        catch (ArgumentException)
        {
            return null;
        }
        var usage = await account.GetQuotaAsync(cancellationToken).ConfigureAwait(false);
        return usage.StorageLimit is null ? null : (target, usage);
    }
}
