using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>Debian's pflogsumm 1.1.5 run over a log file with <c>--syslog-name=mailops</c>, and readers for its report.</summary>
static class Pflogsumm
{
    /// <summary>The report for <paramref name="path"/>; fails the test when pflogsumm fails.</summary>
    public static string Report(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/sbin/pflogsumm", ["--syslog-name=mailops", "--problems-first", path])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"pflogsumm failed: {error}");
        return output;
    }

    /// <summary>A number from the Grand Totals, e.g. "received", "delivered", "rejected".</summary>
    public static long GrandTotal(string report, string label)
    {
        // Sizes are kept under pflogsumm's 512k threshold, so totals print as plain numbers (no k/m units).
        var match = Regex.Match(report, $@"^\s*(\d+)\s+{Regex.Escape(label)}\b", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{label}' in pflogsumm's Grand Totals:\n{report}");
        return long.Parse(match.Groups[1].Value);
    }

    /// <summary>A count table such as "Senders by message count": address to count.</summary>
    public static Dictionary<string, int> Table(string report, string title)
    {
        var start = report.IndexOf(title + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{title}' table:\n{report}");
        var rows = new Dictionary<string, int>();
        foreach (var line in report[(start + title.Length + 1)..].Split('\n').Skip(1))
        {
            var row = Regex.Match(line, @"^\s+(\d+)\s+(\S+)$");
            if (!row.Success) break;
            rows[row.Groups[2].Value] = int.Parse(row.Groups[1].Value);
        }
        return rows;
    }
}
