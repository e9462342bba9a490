using MailOps.Logs;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Logs;

/// <summary>Our summary of the real captured logs against Debian's pflogsumm 1.1.5 on the same files.</summary>
public sealed class MailLogSummaryTests
{
    [Theory]
    [InlineData("postfix-mx1.log", "postfix")]
    [InlineData("postfix-mx2.log", "postfix")]
    [InlineData("mailops.log", "mailops")]
    public void Every_grand_total_equals_pflogsumms_on_the_same_real_log(string fixture, string syslogName)
    {
        var ours = new MailLogSummaryBuilder().AddRange(LogFixtures.Entries(fixture)).Build();
        PflogsummTotals.AssertEqual(ours, PflogsummTotals.Report(LogFixtures.Path(fixture), syslogName));
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
