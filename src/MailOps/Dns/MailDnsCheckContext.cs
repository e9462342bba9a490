namespace MailOps.Dns;

/// <summary>What every check of one domain shares: the domain, the resolver, the caller's options and the mail hosts, looked up once.</summary>
public sealed class MailDnsCheckContext
{
    private readonly Lazy<Task<MailHostSet>> _mailHosts;

    /// <summary>Creates the context of one domain.</summary>
    public MailDnsCheckContext(string domain, MailDnsResolver resolver, MailDnsCheckOptions options)
    {
        Domain = domain;
        Resolver = resolver;
        Options = options;
        _mailHosts = new Lazy<Task<MailHostSet>>(() => MailHostSet.LookupAsync(domain, resolver, CancellationToken.None));
    }

    /// <summary>The domain (normalised).</summary>
    public string Domain { get; }
    /// <summary>The resolver every lookup goes through.</summary>
    public MailDnsResolver Resolver { get; }
    /// <summary>The caller's options.</summary>
    public MailDnsCheckOptions Options { get; }

    /// <summary>The domain's MX hosts with their addresses (or the implicit MX), looked up once for all checks.</summary>
    public Task<MailHostSet> GetMailHostsAsync() => _mailHosts.Value;
}
