namespace MailOps.Dns;

/// <summary>One observation of a check, with its verdict and the rule behind it.</summary>
/// <param name="Status">The verdict of this observation.</param>
/// <param name="Message">One line a human reads.</param>
/// <param name="Reference">The RFC section behind the verdict, e.g. "RFC 7208 4.6.4".</param>
public sealed record MailDnsFinding(MailDnsStatus Status, string Message, string Reference)
{
    /// <inheritdoc />
    public override string ToString() => $"{Status}: {Message} ({Reference})";
}

/// <summary>Collects the findings of one check and turns them into its result.</summary>
public sealed class MailDnsFindings
{
    private readonly List<MailDnsFinding> _items = [];

    /// <summary>The findings so far.</summary>
    public IReadOnlyList<MailDnsFinding> Items => _items;

    /// <summary>Adds a finding.</summary>
    public MailDnsFindings Add(MailDnsStatus status, string message, string reference)
    {
        _items.Add(new MailDnsFinding(status, message, reference));
        return this;
    }

    /// <summary>Adds a <see cref="MailDnsStatus.Pass"/> finding.</summary>
    public MailDnsFindings Pass(string message, string reference) => Add(MailDnsStatus.Pass, message, reference);
    /// <summary>Adds an <see cref="MailDnsStatus.Info"/> finding.</summary>
    public MailDnsFindings Info(string message, string reference) => Add(MailDnsStatus.Info, message, reference);
    /// <summary>Adds a <see cref="MailDnsStatus.Warn"/> finding.</summary>
    public MailDnsFindings Warn(string message, string reference) => Add(MailDnsStatus.Warn, message, reference);
    /// <summary>Adds a <see cref="MailDnsStatus.Fail"/> finding.</summary>
    public MailDnsFindings Fail(string message, string reference) => Add(MailDnsStatus.Fail, message, reference);
    /// <summary>Adds a <see cref="MailDnsStatus.TempError"/> finding.</summary>
    public MailDnsFindings TempError(string message, string reference) => Add(MailDnsStatus.TempError, message, reference);

    /// <summary>The worst status among the findings, <see cref="MailDnsStatus.Pass"/> when there are none.</summary>
    public MailDnsStatus Worst => _items.Count == 0 ? MailDnsStatus.Pass : _items.Max(f => f.Status);

    /// <summary>Builds the check result: status is the worst finding, summary its message (or <paramref name="passSummary"/> when all pass).</summary>
    public MailDnsCheckResult ToResult(string domain, MailDnsCheck check, string passSummary, string? record, string reference,
        object? detail, string? nameServer)
    {
        var worst = Worst;
        var lead = worst == MailDnsStatus.Pass ? null : _items.First(f => f.Status == worst);
        var others = _items.Count(f => f.Status == worst) - 1;
        var summary = lead is null ? passSummary : others > 0 ? $"{lead.Message} (+{others} more)" : lead.Message;
        return new MailDnsCheckResult
        {
            Domain = domain,
            Check = check,
            Status = worst,
            Summary = summary,
            Record = record,
            Reference = lead?.Reference ?? reference,
            Detail = detail,
            Findings = _items.ToArray(),
            NameServer = nameServer,
        };
    }
}
