using System.Collections.Concurrent;
using System.Management.Automation;
using MailOps.Dns;

namespace MailOps.PowerShell;

/// <summary>Test-MailDns: checks a domain's mail DNS (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, DANE, PTR, DNSSEC, blocklists).</summary>
[Cmdlet(VerbsDiagnostic.Test, "MailDns")]
[OutputType(typeof(MailDnsCheckResult))]
public sealed class TestMailDnsCommand : PSCmdlet
{
    private readonly List<(string Domain, MailDnsCheckOptions Options)> _work = [];
    private readonly CancellationTokenSource _cancel = new();
    private MailDnsResolver? _resolver;

    /// <summary>The domains to check.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public string[] Domain { get; set; } = [];

    /// <summary>DKIM selectors to check.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Selector")]
    public string[]? DkimSelector { get; set; }

    /// <summary>A DKIM private key whose public half the published record must match.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? PrivateKeyPath { get; set; }

    /// <summary>The checks to run (all by default).</summary>
    [Parameter]
    public MailDnsCheck[]? Check { get; set; }

    /// <summary>Name servers to ask, host[:port].</summary>
    [Parameter]
    public string[]? NameServer { get; set; }

    /// <summary>DNS blocklist zones to look the MX addresses up in.</summary>
    [Parameter]
    public string[]? Blocklist { get; set; }

    /// <summary>An SPF record to judge instead of the published one.</summary>
    [Parameter]
    public string? SpfRecord { get; set; }

    /// <summary>A DMARC record to judge instead of the published one.</summary>
    [Parameter]
    public string? DmarcRecord { get; set; }

    /// <summary>A DKIM key record to judge instead of the published one.</summary>
    [Parameter]
    public string? DkimRecord { get; set; }

    /// <summary>How many domains are checked at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 8;

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        try
        {
            _resolver = new MailDnsResolver(NameServer);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(MailOpsErrors.Record(e, "InvalidNameServer", ErrorCategory.InvalidArgument, NameServer));
        }
        WriteVerbose($"Asking {string.Join(", ", _resolver!.NameServers)}{(NameServer is { Length: > 0 } ? "" : " (system resolver)")}.");
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var name in Domain)
        {
            if (!MailDomainName.TryNormalize(name, out var domain, out var error))
            {
                WriteError(MailOpsErrors.InvalidArgument(error, "InvalidDomainName", name));
                continue;
            }
            var keyPath = PrivateKeyPath is null ? null : GetUnresolvedProviderPathFromPSPath(PrivateKeyPath);
            _work.Add((domain, new MailDnsCheckOptions
            {
                Checks = Check ?? [],
                DkimSelectors = DkimSelector ?? [],
                DkimPrivateKeyPath = keyPath,
                Blocklists = Blocklist ?? [],
                SpfRecord = SpfRecord,
                DmarcRecord = DmarcRecord,
                DkimRecord = DkimRecord,
            }));
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_work.Count == 0) return;
        var resolver = _resolver!;
        var verbose = new ConcurrentQueue<string>();
        resolver.Trace = verbose.Enqueue;
        var checker = new MailDnsChecker(resolver);
        var done = new BlockingCollection<(string Domain, IReadOnlyList<MailDnsCheckResult>? Results, Exception? Error)>();
        using var throttle = new SemaphoreSlim(ThrottleLimit);
        var token = _cancel.Token;
        var tasks = _work.Select(async item =>
        {
            await throttle.WaitAsync(token).ConfigureAwait(false);
            try { done.Add((item.Domain, await checker.CheckAsync(item.Domain, item.Options, token).ConfigureAwait(false), null)); }
            catch (Exception e) when (e is not OperationCanceledException) { done.Add((item.Domain, null, e)); }
            finally { throttle.Release(); }
        }).ToArray();
        _ = Task.WhenAll(tasks).ContinueWith(_ => done.CompleteAdding(), TaskScheduler.Default);

        var progress = new ProgressRecord(1, "Test-MailDns", $"Checking {_work.Count} domain(s)");
        var completed = 0;
        try
        {
            while (true)
            {
                // Wake up often enough to pass on verbose lines while lookups are running.
                if (!done.TryTake(out var item, 200, token))
                {
                    FlushVerbose(verbose);
                    if (done.IsCompleted) break;
                    continue;
                }
                FlushVerbose(verbose);
                completed++;
                if (_work.Count > 1)
                {
                    progress.StatusDescription = $"{completed} of {_work.Count}: {item.Domain}";
                    progress.PercentComplete = completed * 100 / _work.Count;
                    WriteProgress(progress);
                }
                if (item.Error is not null)
                    WriteError(MailOpsErrors.Record(item.Error, "MailDnsCheckFailed", ErrorCategory.NotSpecified, item.Domain));
                else
                    foreach (var result in item.Results!) WriteObject(result);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            if (_work.Count > 1)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }
    }

    private void FlushVerbose(ConcurrentQueue<string> lines)
    {
        while (lines.TryDequeue(out var line)) WriteVerbose(line);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _cancel.Cancel();
}
