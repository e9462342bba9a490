using System.Management.Automation;
using MailOps.Engine.Auth;
using MailOps.Engine.Configuration;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>
/// What the user and alias cmdlets share: -ConfigPath, and the one place that turns it into the server's users and
/// aliases (<see cref="MailAccountDirectory"/>), so they act on the files Start-MailServer reads; and, with -Session (or
/// a users or aliases file named without -ConfigPath), the same work on Dovecot/Postfix hosts through
/// <see cref="HostMailAccounts"/>, each object routed back to its host by ComputerName.
/// </summary>
public abstract class MailAccountCommand : MailHostCommand
{
    private readonly Dictionary<string, MailAccountDirectory> _opened = new(StringComparer.Ordinal);

    /// <summary>The server configuration file; the embedded default (under the XDG data directory) when not given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ConfigPath { get; set; }

    /// <summary>
    /// Only the host of this name (from the pipeline: a user or alias goes back to the host it came from). Without
    /// -Session, the open session (New-MailHostSession) to that host, or this machine when it is its name.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ComputerName { get; set; }

    /// <summary>"MailUser" or "MailAlias": the start of error IDs (MailUserExists, MailAliasNotFound).</summary>
    private protected abstract string Noun { get; }

    /// <summary>"MailUsersFile" or "MailAliasesFile": the start of file error IDs (MailUsersFileWriteFailed).</summary>
    private protected abstract string FileNoun { get; }

    /// <summary>The -UsersFile or -AliasesFile given, if any.</summary>
    private protected abstract string? HostFile { get; }

    /// <summary>
    /// Whether this item is for hosts rather than the bundled server: a session or a ComputerName is given, or a users
    /// or aliases file without -ConfigPath (objects of the bundled server carry both, and stay with it).
    /// </summary>
    private protected bool OnHosts =>
        Session is { Length: > 0 } || !string.IsNullOrEmpty(ComputerName)
        || (!string.IsNullOrEmpty(HostFile) && !MyInvocation.BoundParameters.ContainsKey(nameof(ConfigPath)));

    /// <summary>The hosts this item goes to (see <see cref="ComputerName"/>); none, with an error written, when no session fits.</summary>
    private protected IReadOnlyList<MailHostSession> HostTargets()
    {
        bool Named(MailHostSession s) => string.Equals(s.ComputerName, ComputerName, StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(ComputerName)) return CurrentSessions;
        List<MailHostSession> matching = Session is { Length: > 0 } given
            ? [.. given.Where(Named)]
            : [.. OpenMailHostSessions.All.Where(s => s.State == MailHostSessionState.Opened && Named(s))];
        if (matching.Count == 0 && Session is not { Length: > 0 } && Named(MailHostSession.Local)) matching.Add(MailHostSession.Local);
        if (matching.Count == 1 || (matching.Count > 1 && Session is { Length: > 0 })) return matching;
        var problem = matching.Count == 0
            ? $"No {(Session is { Length: > 0 } ? "session given" : "open session")} is to '{ComputerName}'; nothing was done there."
            : $"Several open sessions are to '{ComputerName}'; name one with -Session.";
        WriteError(MailOpsErrors.Record(new ItemNotFoundException(problem), "MailHostSessionNotFound", ErrorCategory.ObjectNotFound, ComputerName));
        return [];
    }

    /// <summary>
    /// Runs <paramref name="work"/> on each host in parallel; <paramref name="onResult"/> gets each result on the
    /// pipeline thread, and a failure is an ErrorRecord for that host (see <see cref="WriteAccountError"/>).
    /// </summary>
    private protected void OnEachHost<T>(
        IReadOnlyList<MailHostSession> sessions, Func<MailHostSession, CancellationToken, Task<T>> work, Action<MailHostSession, T> onResult,
        object? target, bool writing)
    {
        ForEachHost(sessions, async (session, token) =>
        {
            try
            {
                return (Value: await work(session, token).ConfigureAwait(false), Error: (Exception?)null);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                return (Value: default(T), Error: e);
            }
        }, (session, outcome) =>
        {
            if (outcome.Error is null) onResult(session, outcome.Value!);
            else WriteAccountError(outcome.Error, target, null, writing, session);
        });
    }

    /// <summary>
    /// A change on each host in three steps: <paramref name="prepare"/> on every host in parallel (find the file, check
    /// the account), then <paramref name="approve"/> (ShouldProcess) per host on the pipeline thread, then
    /// <paramref name="change"/> in parallel on the approved hosts, each result to <paramref name="done"/>.
    /// With -WhatIf nothing is written anywhere.
    /// </summary>
    private protected void ChangeOnHosts<TFile, TResult>(
        object target,
        Func<MailHostSession, CancellationToken, Task<TFile>> prepare,
        Func<MailHostSession, TFile, bool> approve,
        Func<MailHostSession, TFile, CancellationToken, Task<TResult>> change,
        Action<MailHostSession, TFile, TResult> done)
    {
        var approved = new Dictionary<MailHostSession, TFile>();
        OnEachHost(HostTargets(), prepare, (session, file) =>
        {
            if (approve(session, file)) approved[session] = file;
        }, target, writing: false);
        if (approved.Count == 0) return;
        OnEachHost([.. approved.Keys], (session, token) => change(session, approved[session], token),
            (session, result) => done(session, approved[session], result), target, writing: true);
    }

    /// <summary>
    /// Writes the error for a failed user or alias operation: the account's own errors (exists, not found, not a local
    /// domain, not an address), file errors, and a host's failures (unreachable, command failed) named for that host.
    /// </summary>
    private protected void WriteAccountError(Exception e, object? target, string? file, bool writing, MailHostSession? session = null)
    {
        var record = e switch
        {
            MailUserExistsException or MailAliasExistsException => MailOpsErrors.Record(e, Noun + "Exists", ErrorCategory.ResourceExists, target),
            MailUserNotFoundException or MailAliasNotFoundException => MailOpsErrors.Record(e, Noun + "NotFound", ErrorCategory.ObjectNotFound, target),
            MailDomainNotLocalException => MailOpsErrors.Record(e, Noun + "DomainNotLocal", ErrorCategory.InvalidArgument, target),
            FileNotFoundException => MailOpsErrors.Record(e, FileNoun + "NotFound", ErrorCategory.ObjectNotFound, (object?)session ?? file),
            ArgumentException => MailOpsErrors.Record(e, "InvalidArgument", ErrorCategory.InvalidArgument, target),
            UnauthorizedAccessException or IOException or InvalidDataException =>
                MailOpsErrors.Record(e, FileNoun + (writing ? "WriteFailed" : "ReadFailed"),
                    e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : writing ? ErrorCategory.WriteError : ErrorCategory.ReadError, (object?)file ?? session),
            _ => MailOpsErrors.FromHost(e, session),
        };
        if (session is not null && session.Port != 0) record.ErrorDetails = new ErrorDetails($"{session.ComputerName}: {e.Message}");
        WriteError(record);
    }

    /// <summary>The full path of -ConfigPath, or null for the embedded default.</summary>
    private protected string? ResolvedConfigPath =>
        string.IsNullOrEmpty(ConfigPath) ? null : GetUnresolvedProviderPathFromPSPath(ConfigPath);

    /// <summary>The users and aliases of the configuration -ConfigPath names; null (with an error written) when it cannot be read.</summary>
    private protected MailAccountDirectory? OpenDirectory()
    {
        var path = ResolvedConfigPath;
        var key = path ?? "";
        if (_opened.TryGetValue(key, out var directory)) return directory;
        var config = ServerConfiguration.Load(this, path);
        if (config is null) return null;
        try
        {
            directory = MailAccountDirectory.Open(config);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(MailOpsErrors.Record(e, "MailServerConfigReadFailed", ErrorCategory.ReadError, path));
            return null;
        }
        WriteVerbose($"Users in {directory.UsersFile}, aliases in {directory.AliasesFile}; local domains {string.Join(", ", directory.Domains)}.");
        _opened[key] = directory;
        return directory;
    }

    /// <summary>The user as the cmdlets show it, without its password hash.</summary>
    private protected MailUserInfo ToInfo(MailUser user, MailAccountDirectory directory) => new(user, directory.UsersFile, ResolvedConfigPath);

    /// <summary>The alias as the cmdlets show it.</summary>
    private protected MailAliasInfo ToInfo(VirtualAlias alias, MailAccountDirectory directory) => new(alias, directory.AliasesFile, ResolvedConfigPath);
}
