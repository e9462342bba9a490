using System.Diagnostics;
using System.Text.RegularExpressions;
using MailOps.Logs;

namespace MailOps.Tests.Logs;

/// <summary>Our summary of the real captured logs against Debian's pflogsumm 1.1.5 on the same files.</summary>
public sealed class MailLogSummaryTests
{
    internal static string Pflogsumm(string path, string syslogName = "postfix")
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/sbin/pflogsumm", [$"--syslog-name={syslogName}", "--smtpd-stats", path])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    internal static long Total(string report, string label)
    {
        var m = Regex.Match(report, $@"^\s*(\d+)([km ])\s+{Regex.Escape(label)}\b", RegexOptions.Multiline);
        Assert.True(m.Success, $"no '{label}' in:\n{report}");
        var unit = m.Groups[2].Value switch { "k" => 1024L, "m" => 1024L * 1024, _ => 1L };
        return long.Parse(m.Groups[1].Value) * unit;
    }

    /// <summary>Asserts every grand total pflogsumm prints equals ours (sizes compared in pflogsumm's k/m rounding when it uses them).</summary>
    internal static void AssertEqualsPflogsumm(MailLogSummary ours, string report)
    {
        Assert.Equal(Total(report, "received"), ours.Received);
        Assert.Equal(Total(report, "delivered"), ours.Delivered);
        Assert.Equal(Total(report, "forwarded"), ours.Forwarded);
        Assert.Equal(Total(report, "deferred"), ours.Deferred);
        Assert.Equal(Total(report, "bounced"), ours.Bounced);
        Assert.Equal(Total(report, "rejected"), ours.Rejected);
        Assert.Equal(Total(report, "reject warnings"), ours.RejectWarnings);
        Assert.Equal(Total(report, "held"), ours.Held);
        Assert.Equal(Total(report, "discarded"), ours.Discarded);
        Assert.Equal(Total(report, "bytes received"), Units(ours.BytesReceived));
        Assert.Equal(Total(report, "bytes delivered"), Units(ours.BytesDelivered));
        Assert.Equal(Total(report, "senders"), ours.SenderCount);
        Assert.Equal(Total(report, "sending hosts/domains"), ours.SendingDomainCount);
        Assert.Equal(Total(report, "recipients"), ours.RecipientCount);
        Assert.Equal(Total(report, "recipient hosts/domains"), ours.RecipientDomainCount);
        Assert.Equal(Total(report, "connections"), ours.SmtpConnections);
        var deferrals = Regex.Match(report, @"\((\d+)\s+deferrals\)");
        Assert.Equal(deferrals.Success ? long.Parse(deferrals.Groups[1].Value) : 0, ours.Deferrals);
    }

    private static long Units(long bytes) =>
        // pflogsumm: above 512k it prints (integer) k, above 512m (integer) m.
        bytes > 524288 * 1024L ? bytes / (1024 * 1024) * 1024 * 1024 : bytes > 524288 ? bytes / 1024 * 1024 : bytes;

    [Theory]
    [InlineData("postfix-mx1.log", "postfix")]
    [InlineData("postfix-mx2.log", "postfix")]
    [InlineData("mailops.log", "mailops")]
    public void Every_grand_total_equals_pflogsumms_on_the_same_real_log(string fixture, string syslogName)
    {
        var ours = new MailLogSummaryBuilder().AddRange(LogFixtures.Entries(fixture)).Build();
        AssertEqualsPflogsumm(ours, Pflogsumm(LogFixtures.Path(fixture), syslogName));
    }

    [Fact]
    public void The_mx1_summary_has_the_tables_an_admin_reads()
    {
        var s = new MailLogSummaryBuilder().AddRange(LogFixtures.Entries("postfix-mx1.log")).AddRange(LogFixtures.Entries("dovecot.log")).Build();
        Assert.Equal(("other@example.org", 6L), (s.Senders[0].Name, s.Senders[0].Count));
        Assert.Contains(s.Senders, t => t.Name == "Sender@example.net"); // the domain lower-cased, as pflogsumm does
        Assert.Contains(s.Rejects, r => r.Category == "reject RCPT" && r.Reason == "Relay access denied");
        Assert.Contains(s.Rejects, r => r.Category == "hold header");
        Assert.Contains(s.DeferralReasons, r => r.Category == "smtp" && r.Reason.Contains("Connection refused"));
        Assert.Contains(s.BounceReasons, r => r.Category == "127.0.0.1[127.0.0.1]:10025");
        Assert.Equal(24, s.PerHour.Count);
        Assert.Equal(s.Received, s.PerHour.Sum(h => h.Received));
        Assert.Equal((1L, 1L), (s.DovecotLogins - 1, s.DovecotLoginFailures)); // one IMAP and one POP3 login
    }
}
