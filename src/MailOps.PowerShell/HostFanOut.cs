using System.Collections.Concurrent;
using System.Management.Automation;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>
/// Runs one piece of work per host in parallel (at most a throttle limit at once) and hands each host's result, or
/// its failure as an ErrorRecord for that host, back to the cmdlet on the pipeline thread as it arrives. One host's
/// failure never stops the others; stopping the pipeline cancels the work.
/// </summary>
internal sealed class HostFanOut(Cmdlet cmdlet, int throttleLimit, CancellationToken cancellationToken)
{
    /// <summary>
    /// Runs <paramref name="work"/> for each of <paramref name="targets"/>; <paramref name="onResult"/> gets each
    /// result on the calling (pipeline) thread. A failure becomes an ErrorRecord whose target is <paramref name="errorTarget"/> of the item.
    /// </summary>
    public void Run<TTarget, TResult>(
        IReadOnlyList<TTarget> targets,
        Func<TTarget, CancellationToken, Task<TResult>> work,
        Action<TTarget, TResult> onResult,
        Func<TTarget, object> errorTarget)
    {
        if (targets.Count == 0) return;
        using var results = new BlockingCollection<Action>();
        using var throttle = new SemaphoreSlim(throttleLimit);
        var tasks = targets.Select(target => Task.Run(async () =>
        {
            await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await work(target, cancellationToken).ConfigureAwait(false);
                results.Add(() => onResult(target, result));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                results.Add(() => cmdlet.WriteError(MailOpsErrors.FromHost(e, errorTarget(target))));
            }
            finally
            {
                throttle.Release();
            }
        }, cancellationToken)).ToArray();
        _ = Task.WhenAll(tasks).ContinueWith(_ => results.CompleteAdding(), TaskScheduler.Default);
        try
        {
            foreach (var deliver in results.GetConsumingEnumerable(cancellationToken)) deliver();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // StopProcessing: the work was cancelled with it; the pipeline is already stopping.
        }
    }
}
