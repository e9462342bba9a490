using System.Diagnostics;
using System.Text.RegularExpressions;
using MailOps.Logs;

namespace MailOps.Tests.TestSupport;

/// <summary>Debian's pflogsumm 1.1.5 on a log, and the assertion that a <see cref="MailLogSummary"/> has every one of its grand totals.</summary>
public static class PflogsummTotals
{
    /// <summary>pflogsumm's report (with --smtpd-stats) for <paramref name="path"/>, counting lines of <paramref name="syslogName"/>.</summary>
    public static string Report(string path, string syslogName = "postfix")
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/sbin/pflogsumm", [$"--syslog-name={syslogName}", "--smtpd-stats", path])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "pflogsumm failed: " + error);
        return output;
    }

    /// <summary>A grand total as pflogsumm prints it, its k/m units multiplied out.</summary>
    public static long Total(string report, string label)
    {
        var m = Regex.Match(report, $@"^\s*(\d+)([km ])\s+{Regex.Escape(label)}\b", RegexOptions.Multiline);
        Assert.True(m.Success, $"no '{label}' in:\n{report}");
        var unit = m.Groups[2].Value switch { "k" => 1024L, "m" => 1024L * 1024, _ => 1L };
        return long.Parse(m.Groups[1].Value) * unit;
    }

    /// <summary>Every grand total of <paramref name="report"/> equals ours (sizes in pflogsumm's k/m rounding when it uses them), and the deferral and connection counts.</summary>
    public static void AssertEqual(MailLogSummary ours, string report)
    {
        Assert.Equal(
            new long[] { Total(report, "received"), Total(report, "delivered"), Total(report, "forwarded"), Total(report, "deferred"), Total(report, "bounced"),
                Total(report, "rejected"), Total(report, "reject warnings"), Total(report, "held"), Total(report, "discarded"),
                Total(report, "bytes received"), Total(report, "bytes delivered"), Total(report, "senders"), Total(report, "sending hosts/domains"),
                Total(report, "recipients"), Total(report, "recipient hosts/domains"), Total(report, "connections"), Deferrals(report) },
            new long[] { ours.Received, ours.Delivered, ours.Forwarded, ours.Deferred, ours.Bounced,
                ours.Rejected, ours.RejectWarnings, ours.Held, ours.Discarded,
                Units(ours.BytesReceived), Units(ours.BytesDelivered), ours.SenderCount, ours.SendingDomainCount,
                ours.RecipientCount, ours.RecipientDomainCount, ours.SmtpConnections, ours.Deferrals });
    }

    /// <summary>Our summary of one local log file.</summary>
    public static MailLogSummary Summarize(params string[] paths)
    {
        var files = paths.SelectMany(LocalMailLogSource.Instance.Resolve);
        return new MailLogSummaryBuilder().AddRange(new MailLogReader(LocalMailLogSource.Instance).Read(files)).Build();
    }

    private static long Deferrals(string report)
    {
        var m = Regex.Match(report, @"\((\d+)\s+deferrals\)");
        return m.Success ? long.Parse(m.Groups[1].Value) : 0;
    }

    // pflogsumm prints integer k above 512k and integer m above 512m.
    private static long Units(long bytes) =>
        bytes > 524288L * 1024 ? bytes / (1024 * 1024) * 1024 * 1024 : bytes > 524288 ? bytes / 1024 * 1024 : bytes;
}
