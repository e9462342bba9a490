using System.Management.Automation;
using MailOps.Logs;

namespace MailOps.PowerShell;

/// <summary>Get-MailLogSummary: what pflogsumm reports (totals, per-hour traffic, top senders and recipients, rejects, deferrals, bounces) as one object.</summary>
[Cmdlet(VerbsCommon.Get, "MailLogSummary")]
[OutputType(typeof(MailLogSummary))]
public sealed class GetMailLogSummaryCommand : MailLogCommand
{
    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var builder = new MailLogSummaryBuilder();
        var any = false;
        var window = new MailLogFilter { Since = SinceOffset, Until = UntilOffset };
        foreach (var entry in window.Apply(ReadAll()))
        {
            builder.Add(entry);
            any = true;
        }
        if (!any) WriteVerbose("No log lines in the window.");
        WriteObject(builder.Build());
    }
}
