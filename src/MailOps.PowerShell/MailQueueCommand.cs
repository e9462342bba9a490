using System.Management.Automation;
using MailOps.Engine;
using MailOps.Engine.Delivery;
using MailOps.Hosts;
using MailOps.Queue;

namespace MailOps.PowerShell;

/// <summary>
/// What the queue cmdlets share: finding the queue that -Server or -ConfigPath names and the way to command it (the
/// queue manager of a server in this session, the control socket of a server in another process, or the files when
/// no server runs), cancellation by Ctrl-C, and the error records of queue operations.
/// </summary>
public abstract class MailQueueCommand : PSCmdlet
{
    private readonly Dictionary<string, QueueTarget> _opened = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>Cancelled when the pipeline is stopped (Ctrl-C).</summary>
    private protected CancellationToken Cancellation => _cancel.Token;

    /// <summary>A queue and how to command it.</summary>
    /// <param name="Control">Lists and changes the queue.</param>
    /// <param name="Server">The name of the server in this session that owns the queue, or null.</param>
    /// <param name="ConfigPath">The configuration file that named it (full path), or null.</param>
    /// <param name="Where">How messages and errors name the queue: the server's name or the queue directory.</param>
    /// <param name="Root">The queue directory.</param>
    private protected sealed record QueueTarget(IQueueControl Control, string? Server, string? ConfigPath, string Where, string Root);

    /// <summary>
    /// The queue of server <paramref name="server"/> in this session, or else of the configuration at <paramref name="configPath"/>
    /// (the embedded default when null); null with an error written when there is none.
    /// </summary>
    private protected QueueTarget? OpenQueue(string? server, string? configPath)
    {
        var path = string.IsNullOrEmpty(configPath) ? null : GetUnresolvedProviderPathFromPSPath(configPath);
        var key = string.IsNullOrEmpty(server) ? "config:" + path : "server:" + server;
        if (_opened.TryGetValue(key, out var target)) return target;
        // A message listed through a configuration file carries both: its server may have stopped since, its file not.
        if (!string.IsNullOrEmpty(server) && (path is null || RunningMailServers.Find(server) is not null))
        {
            var running = RunningMailServers.Find(server);
            if (running is null)
            {
                WriteError(MailOpsErrors.Record(new ItemNotFoundException($"No mail server named '{server}' is running in this session."), "MailServerNotFound", ErrorCategory.ObjectNotFound, server));
                return null;
            }
            target = new QueueTarget(running.QueueControl, running.Name, path, $"server '{running.Name}'", running.Queue.Root);
        }
        else
        {
            var config = ServerConfiguration.Load(this, path);
            if (config is null) return null;
            var queuePath = Path.GetFullPath(config.QueuePath);
            // A server of this session on the same queue is asked directly; else its socket, or the files (QueueControlClient).
            var running = RunningMailServers.All.FirstOrDefault(s => string.Equals(s.Queue.Root, queuePath, StringComparison.Ordinal));
            target = running is not null
                ? new QueueTarget(running.QueueControl, running.Name, path, $"server '{running.Name}'", queuePath)
                : new QueueTarget(new QueueControlClient(queuePath, config.Hostname, config.LogPath), null, path, queuePath, queuePath);
            WriteVerbose(running is not null ? $"Queue {queuePath}: server '{running.Name}' of this session." : $"Queue {queuePath}: through its control socket when a server runs on it, else its files.");
        }
        _opened[key] = target;
        return target;
    }

    /// <summary>The message as this module shows it: with the server or configuration it came through, so that it pipes on.</summary>
    private protected static MailQueueMessage Tag(MailQueueMessage message, QueueTarget target) =>
        message with { Server = target.Server, ConfigPath = target.ConfigPath };

    /// <summary>True when <paramref name="computerName"/> names this machine (or nothing); else writes MailQueueRemoteNotSupported.</summary>
    private protected bool IsLocal(string? computerName, string queueId)
    {
        if (string.IsNullOrEmpty(computerName) || computerName is "." or "localhost"
            || string.Equals(computerName, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            || string.Equals(computerName, System.Net.Dns.GetHostName(), StringComparison.OrdinalIgnoreCase))
            return true;
        WriteError(MailOpsErrors.Record(new NotSupportedException($"The message {queueId} is on {computerName}: only this machine's queue can be changed."),
            "MailQueueRemoteNotSupported", ErrorCategory.NotImplemented, queueId));
        return false;
    }

    /// <summary>
    /// Runs one queue operation, turning its failures into error records (<paramref name="wrongStateId"/> for a message in
    /// the wrong queue) so that the next pipeline item still goes through; Ctrl-C stops the pipeline.
    /// </summary>
    private protected T? Run<T>(Func<Task<T>> operation, string queueId, string wrongStateId) where T : class
    {
        try
        {
            return operation().GetAwaiter().GetResult();
        }
        catch (MailQueueMessageNotFoundException e)
        {
            WriteError(MailOpsErrors.Record(e, "MailQueueMessageNotFound", ErrorCategory.ObjectNotFound, queueId));
        }
        catch (InvalidOperationException e)
        {
            WriteError(MailOpsErrors.Record(e, wrongStateId, ErrorCategory.InvalidOperation, queueId));
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            WriteError(MailOpsErrors.Record(e, "MailQueueOperationFailed", e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, queueId));
        }
        return null;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on each Postfix host in parallel (<paramref name="throttleLimit"/> at once);
    /// <paramref name="onResult"/> gets each host's result on the pipeline thread; a host's failure is an error record for its session.
    /// </summary>
    private protected void ForEachHost<TTarget, TResult>(IReadOnlyList<TTarget> targets, int throttleLimit, Func<TTarget, CancellationToken, Task<TResult>> work,
        Action<TTarget, TResult> onResult, Func<TTarget, MailHostSession> session)
    {
        new HostFanOut(this, throttleLimit, Cancellation).Run(targets, work, onResult, t => session(t));
        if (Cancellation.IsCancellationRequested) throw new PipelineStoppedException();
    }

    /// <summary>A Postfix message as this module shows it: with the session and configuration directory it came through, so that it pipes back there.</summary>
    private protected static MailQueueMessage Tag(MailQueueMessage message, MailHostSession session, string? configDirectory) =>
        message with { Session = session, ConfigDirectory = configDirectory, ComputerName = session.ComputerName };

    /// <inheritdoc />
    protected override void StopProcessing() => _cancel.Cancel();
}
