namespace MailOps.Dns;

/// <summary>One check of a domain's mail DNS.</summary>
public interface IMailDnsCheck
{
    /// <summary>Which check this is.</summary>
    MailDnsCheck Check { get; }

    /// <summary>Runs the check; DNS trouble ends as a <see cref="MailDnsStatus.TempError"/> result, never an exception.</summary>
    Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken);
}
