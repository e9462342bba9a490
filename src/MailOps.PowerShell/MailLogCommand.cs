using System.Management.Automation;
using MailOps.Engine.Configuration;
using MailOps.Hosts;
using MailOps.Logs;

namespace MailOps.PowerShell;

/// <summary>
/// What the log cmdlets share: which files to read (-Path, or the bundled server's log with -ConfigPath, or
/// /var/log/mail.log and its rotations), the time window, and reading them as a stream with Write-Progress.
/// Every file is found and opened through an <see cref="IMailLogSource"/>; <see cref="Sources"/> is the one place that
/// decides which sources there are: this machine, or one <see cref="HostMailLogSource"/> per -Session.
/// </summary>
public abstract class MailLogCommand : PSCmdlet
{
    /// <summary>The logs Debian (mail.log) and Red Hat (maillog) write, in the order they are tried.</summary>
    internal static readonly string[] DefaultLogs = ["/var/log/mail.log", "/var/log/maillog"];

    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _paths = [];
    private ProgressRecord? _progress;

    /// <summary>Log files to read; wildcards allowed; rotations given together are read oldest first.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "LogPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>The bundled server's configuration: read the log it writes (logPath) and its rotations.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ConfigPath { get; set; }

    /// <summary>Read the logs on these hosts (New-MailHostSession) instead of this machine's; entries carry each host's ComputerName.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public MailHostSession[]? Session { get; set; }

    /// <summary>Only lines at or after this time.</summary>
    [Parameter]
    public DateTime Since { get; set; }

    /// <summary>Only lines at or before this time.</summary>
    [Parameter]
    public DateTime Until { get; set; }

    /// <summary>Cancelled by Ctrl-C (StopProcessing).</summary>
    private protected CancellationToken StopToken => _stop.Token;

    private protected DateTimeOffset? SinceOffset => MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Offset(Since) : null;

    private protected DateTimeOffset? UntilOffset => MyInvocation.BoundParameters.ContainsKey(nameof(Until)) ? Offset(Until) : null;

    // A time typed without a zone is this machine's local time, as Get-Date gives it.
    private static DateTimeOffset Offset(DateTime time) => new(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Local) : time);

    /// <summary>
    /// The sources to read: this machine, or each -Session's host in turn (found with find, read with cat, streamed), so
    /// that a trace can follow a message from one host's log into the next.
    /// </summary>
    private protected virtual IEnumerable<IMailLogSource> Sources() =>
        Session is { Length: > 0 } sessions
            ? sessions.DistinctBy(s => s.Id).Select(s => (IMailLogSource)new HostMailLogSource(s.Connection))
            : [LocalMailLogSource.Instance];

    /// <summary>
    /// Keeps this record's -Path: files that come down the pipeline one by one (Get-ChildItem) are read together in
    /// EndProcessing, so that rotations are put in time order whatever order they came in.
    /// </summary>
    protected override void ProcessRecord()
    {
        if (Path is not null) _paths.AddRange(Path);
    }

    /// <summary>The files to read on <paramref name="source"/>, in time order; writes an error for each path that names nothing.</summary>
    private protected IReadOnlyList<MailLogFile> Files(IMailLogSource source)
    {
        var files = new List<MailLogFile>();
        if (_paths.Count > 0)
        {
            foreach (var path in _paths)
            {
                // Local paths go through the provider (relative to $PWD, ~ expanded); wildcards are the source's.
                var target = source is LocalMailLogSource ? GetUnresolvedProviderPathFromPSPath(path) : path;
                var found = source.Resolve(target);
                if (found.Count == 0)
                    WriteError(MailOpsErrors.Record(new FileNotFoundException($"No log file matches '{path}'.", target), "MailLogNotFound", ErrorCategory.ObjectNotFound, path));
                files.AddRange(found);
            }
            return MailLogRotation.InTimeOrder(files);
        }
        if (ConfigPath is not null)
        {
            var configPath = GetUnresolvedProviderPathFromPSPath(ConfigPath);
            try
            {
                var log = MailServerConfigFile.Load(configPath).LogPath;
                var found = source.FindRotations(log);
                if (found.Count == 0)
                    WriteError(MailOpsErrors.Record(new FileNotFoundException($"The server has not written its log '{log}' yet.", log), "MailLogNotFound", ErrorCategory.ObjectNotFound, log));
                return found;
            }
            catch (Exception e) when (e is FileNotFoundException or MailServerConfigException or IOException or UnauthorizedAccessException)
            {
                WriteError(MailOpsErrors.Record(e, e is FileNotFoundException ? "MailServerConfigNotFound" : "MailServerConfigInvalid", ErrorCategory.InvalidData, configPath));
                return [];
            }
        }
        foreach (var log in DefaultLogs)
        {
            var found = source.FindRotations(log);
            if (found.Count > 0) return found;
        }
        WriteError(MailOpsErrors.Record(new FileNotFoundException($"No mail log at {string.Join(" or ", DefaultLogs)}; give -Path."), "MailLogNotFound", ErrorCategory.ObjectNotFound, DefaultLogs[0]));
        return [];
    }

    /// <summary>Every entry of every source's files, streamed, with progress and Ctrl-C.</summary>
    private protected IEnumerable<MailLogEntry> ReadAll()
    {
        foreach (var source in Sources())
        {
            var files = Files(source);
            var reader = new MailLogReader(source);
            reader.Progress += ReportProgress;
            IEnumerable<MailLogEntry> entries;
            try { entries = reader.Read(files, StopToken); }
            catch (OperationCanceledException) { yield break; }
            using var e = entries.GetEnumerator();
            while (true)
            {
                try
                {
                    if (!e.MoveNext()) break;
                }
                catch (OperationCanceledException) { yield break; }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    WriteError(MailOpsErrors.Record(ex, "MailLogReadFailed", ex is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.ReadError, source.ComputerName));
                    break;
                }
                yield return e.Current;
            }
            CompleteProgress();
        }
    }

    private void ReportProgress(MailLogReadProgress p)
    {
        // Only files worth a bar (8 MiB and up): small logs are read before a bar could be seen.
        if (p.File.Length < (8 << 20)) return;
        _progress ??= new ProgressRecord(0x6c6f67, "Reading mail log", p.File.Path);
        _progress.StatusDescription = $"{p.File.Path}: {p.Lines:N0} lines";
        _progress.PercentComplete = p.Percent;
        WriteProgress(_progress);
    }

    private void CompleteProgress()
    {
        if (_progress is null) return;
        _progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(_progress);
        _progress = null;
    }

    /// <summary>A matcher for a wildcard pattern (case-insensitive), or null for null.</summary>
    private protected static Func<string, bool>? Matcher(string[]? patterns)
    {
        if (patterns is null || patterns.Length == 0) return null;
        var compiled = patterns.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToArray();
        return value => compiled.Any(w => w.IsMatch(value));
    }

    /// <summary>A Message-ID matcher that accepts the id with or without angle brackets.</summary>
    private protected static Func<string, bool>? MessageIdMatcher(string[]? ids) =>
        Matcher(ids?.Select(i => i.StartsWith('<') ? i : $"<{i}>").ToArray());

    /// <inheritdoc />
    protected override void StopProcessing() => _stop.Cancel();
}
