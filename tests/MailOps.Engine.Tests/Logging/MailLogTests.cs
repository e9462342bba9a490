using MailOps.Engine.Logging;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Logging;

public sealed class MailLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_line_starts_with_the_timestamp_short_host_and_program_that_postlogd_writes()
    {
        var path = Path.Combine(_dir, "mail.log");
        var clock = new FixedClock(new DateTimeOffset(2026, 3, 5, 7, 8, 9, TimeSpan.Zero));
        using (var log = new MailLog(path, "mx.example.test", clock) { ProcessId = 4711 })
            log.Connect(new MailLogClient("localhost", "127.0.0.1"));
        Assert.Equal("Mar 05 07:08:09 mx mailops/smtpd[4711]: connect from localhost[127.0.0.1]\n", File.ReadAllText(path));
    }

    [Theory]
    [InlineData(0.004, "0")]
    [InlineData(0.01, "0.01")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.129, "0.12")]
    [InlineData(1.27, "1.2")]
    [InlineData(3.0, "3")]
    [InlineData(12.9, "12")]
    public void Delays_are_rounded_like_postfix_with_two_digits_of_resolution(double seconds, string expected) =>
        Assert.Equal(expected, MailDeliveryDelays.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void The_disconnect_tally_shows_failed_commands_as_ok_slash_total_in_smtpd_order()
    {
        var tally = new SmtpCommandTally();
        foreach (var (verb, ok) in new[] { ("QUIT", true), ("EHLO", true), ("MAIL", true), ("RCPT", true), ("RCPT", false), ("XYZZY", false), ("DATA", true) })
            tally.Count(verb, ok);
        Assert.Equal("ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 unknown=0/1 commands=5/7", tally.ToString());
    }

    [Fact]
    public void A_log_renamed_away_by_logrotate_is_recreated_on_the_next_line()
    {
        var path = Path.Combine(_dir, "mail.log");
        using var log = new MailLog(path, "mx.example.test");
        log.Removed("4AB12C");
        File.Move(path, path + ".1");
        log.Removed("4AB12D");
        Assert.Contains("4AB12C: removed", File.ReadAllText(path + ".1"));
        Assert.DoesNotContain("4AB12C", File.ReadAllText(path));
        Assert.Contains("4AB12D: removed", File.ReadAllText(path));
    }

    [Fact]
    public async Task Lines_written_from_many_threads_are_never_torn()
    {
        var path = Path.Combine(_dir, "mail.log");
        var seen = 0;
        using (var log = new MailLog(path, "mx.example.test"))
        {
            log.Written += (_, _) => Interlocked.Increment(ref seen);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            {
                for (var i = 0; i < 500; i++) log.MessageId($"Q{t:X}{i:X4}", $"m{i}@example.net");
            })));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(4000, lines.Length);
        Assert.Equal(4000, seen);
        Assert.All(lines, l => Assert.Matches(@"^\w{3} \d{2} \d{2}:\d{2}:\d{2} mx mailops/cleanup\[\d+\]: Q[0-9A-F]+: message-id=<m\d+@example\.net>$", l));
    }
}
