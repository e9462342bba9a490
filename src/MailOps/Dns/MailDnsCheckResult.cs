namespace MailOps.Dns;

/// <summary>The verdict of one check on one domain: what <c>Test-MailDns</c> writes.</summary>
public sealed class MailDnsCheckResult
{
    /// <summary>The domain checked (A-labels, lower case).</summary>
    public required string Domain { get; init; }
    /// <summary>Which check this is.</summary>
    public required MailDnsCheck Check { get; init; }
    /// <summary>The verdict: the worst of <see cref="Findings"/>.</summary>
    public required MailDnsStatus Status { get; init; }
    /// <summary>One line a human reads.</summary>
    public required string Summary { get; init; }
    /// <summary>What was published (the record text), or null when nothing was.</summary>
    public string? Record { get; init; }
    /// <summary>The RFC section behind the verdict.</summary>
    public required string Reference { get; init; }
    /// <summary>Structured detail of the check (parsed terms, key sizes, hosts...).</summary>
    public object? Detail { get; init; }
    /// <summary>Every observation the check made, with its own verdict and reference.</summary>
    public IReadOnlyList<MailDnsFinding> Findings { get; init; } = [];
    /// <summary>The name server that answered the check's main query.</summary>
    public string? NameServer { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Domain} {Check} {Status}: {Summary}";
}
