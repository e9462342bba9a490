namespace MailOps.Engine.Policy;

/// <summary>What the server knows about its own domains: which domains are local, and where a local address goes.</summary>
public interface ILocalRecipients
{
    /// <summary>True when mail for <paramref name="domain"/> is delivered here (a local or virtual domain).</summary>
    bool IsLocalDomain(string domain);

    /// <summary>
    /// Resolves a recipient address in a local domain through the aliases (Postfix virtual(5) semantics) to final
    /// destinations: local mailbox addresses and external addresses. Null when the address is unknown (550 5.1.1).
    /// </summary>
    IReadOnlyList<string>? Resolve(string address);
}
