namespace MailOps.Dns;

/// <summary>Runs the mail DNS checks of a domain: what <c>Test-MailDns</c> does for each domain.</summary>
public sealed class MailDnsChecker
{
    /// <summary>Every check, in report order.</summary>
    public static IReadOnlyList<IMailDnsCheck> AllChecks { get; } =
    [
        new MxCheck(),
        new SpfCheck(),
        new DkimCheck(),
        new DmarcCheck(),
        new MtaStsCheck(),
        new TlsRptCheck(),
        new DaneCheck(),
        new PtrCheck(),
        new DnssecCheck(),
        new BlocklistCheck(),
    ];

    private readonly MailDnsResolver _resolver;

    /// <summary>Creates a checker that asks <paramref name="resolver"/>.</summary>
    public MailDnsChecker(MailDnsResolver resolver) => _resolver = resolver;

    /// <summary>Runs the checks the options select (all when none) on one normalised domain, in parallel, results in report order.</summary>
    public async Task<IReadOnlyList<MailDnsCheckResult>> CheckAsync(string domain, MailDnsCheckOptions options, CancellationToken cancellationToken = default)
    {
        var context = new MailDnsCheckContext(domain, _resolver, options);
        var selected = AllChecks.Where(c => options.Checks.Count == 0 || options.Checks.Contains(c.Check)).ToArray();
        var results = await Task.WhenAll(selected.Select(c => c.RunAsync(context, cancellationToken))).ConfigureAwait(false);
        return results;
    }
}
