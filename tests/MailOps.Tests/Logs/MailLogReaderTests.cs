using System.IO.Compression;
using MailOps.Logs;

namespace MailOps.Tests.Logs;

/// <summary>Rotated, compressed and year-spanning logs read in the order they were written.</summary>
public sealed class MailLogReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-logs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, IEnumerable<string> lines, DateTime lastWriteUtc, bool gzip = false)
    {
        var path = Path.Combine(_dir, name);
        using (var file = File.Create(path))
        using (var stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : (Stream)file)
        using (var writer = new StreamWriter(stream) { NewLine = "\n" })
        {
            foreach (var line in lines) writer.WriteLine(line);
        }
        File.SetLastWriteTimeUtc(path, lastWriteUtc);
        return path;
    }

    [Fact]
    public void The_current_log_and_its_plain_and_gzip_rotations_are_read_oldest_first_with_each_line_once()
    {
        // The real mx1 log cut in three, as logrotate (delaycompress) leaves it: mail.log.2.gz, mail.log.1, mail.log.
        var lines = LogFixtures.Lines("postfix-mx1.log");
        var third = lines.Length / 3;
        var log = Write("mail.log", lines[(2 * third)..], new DateTime(2026, 11, 28, 9, 0, 0, DateTimeKind.Utc));
        Write("mail.log.1", lines[third..(2 * third)], new DateTime(2026, 11, 28, 8, 59, 0, DateTimeKind.Utc));
        Write("mail.log.2.gz", lines[..third], new DateTime(2026, 11, 28, 8, 58, 0, DateTimeKind.Utc), gzip: true);
        Write("mail.log.bak", ["Nov 28 08:00:00 other postfix/qmgr[1]: ABCDEF12345: removed"], DateTime.UtcNow);

        var files = LocalMailLogSource.Instance.FindRotations(log);
        Assert.Equal(["mail.log.2.gz", "mail.log.1", "mail.log"], files.Select(f => Path.GetFileName(f.Path)));
        Assert.True(files[0].Compressed);

        var entries = new MailLogReader(LocalMailLogSource.Instance, TimeZoneInfo.Utc).Read(files).ToList();
        Assert.Equal(lines.Length, entries.Count);
        Assert.Equal(lines.Select(l => l[16..]), entries.Select(e => $"{e.HostName} {e.Program}[{e.Pid}]: {e.Text}"));
        Assert.Equal(entries.OrderBy(e => e.Time).Select(e => e.Time), entries.Select(e => e.Time));
        Assert.All(entries, e => Assert.Equal(Environment.MachineName, e.ComputerName));
    }

    [Fact]
    public void A_gzip_file_is_recognised_by_its_content_even_without_gz_in_its_name()
    {
        var path = Write("mail.log.1", LogFixtures.Lines("postfix-mx2.log"), DateTime.UtcNow, gzip: true);
        var entries = new MailLogReader(LocalMailLogSource.Instance).Read(LocalMailLogSource.Instance.Resolve(path)).ToList();
        Assert.Equal(LogFixtures.Lines("postfix-mx2.log").Length, entries.Count);
    }

    [Fact]
    public void Dateext_rotations_come_before_the_current_log_in_date_order()
    {
        var log = Write("maillog", ["Jan  3 10:00:00 mx postfix/qmgr[1]: ABCDEF12345: removed"], new DateTime(2027, 1, 3, 10, 0, 0, DateTimeKind.Utc));
        Write("maillog-20261231.gz", ["Dec 31 10:00:00 mx postfix/qmgr[1]: ABCDEF12346: removed"], new DateTime(2026, 12, 31, 10, 0, 0, DateTimeKind.Utc), gzip: true);
        Write("maillog-20261224", ["Dec 24 10:00:00 mx postfix/qmgr[1]: ABCDEF12347: removed"], new DateTime(2026, 12, 24, 10, 0, 0, DateTimeKind.Utc));
        var files = LocalMailLogSource.Instance.FindRotations(log);
        Assert.Equal(["maillog-20261224", "maillog-20261231.gz", "maillog"], files.Select(f => Path.GetFileName(f.Path)));
        var times = new MailLogReader(LocalMailLogSource.Instance, TimeZoneInfo.Utc).Read(files).Select(e => e.Time.Year * 10000 + e.Time.Month * 100 + e.Time.Day);
        Assert.Equal([20261224, 20261231, 20270103], times);
    }

    [Fact]
    public void A_file_spanning_new_year_dates_december_lines_in_the_year_before_its_last_write()
    {
        // Real mx2 lines, re-dated across midnight of 31 December (only the month and day are rewritten).
        var real = LogFixtures.Lines("postfix-mx2.log");
        var lines = real.Select((l, i) => (i < real.Length / 2 ? "Dec 31 23:59:5" + (i % 10) : "Jan  1 00:00:0" + (i % 10)) + l[15..]).ToList();
        var path = Write("mail.log", lines, new DateTime(2027, 1, 1, 0, 1, 0, DateTimeKind.Utc));
        var entries = new MailLogReader(LocalMailLogSource.Instance, TimeZoneInfo.Utc).Read(LocalMailLogSource.Instance.Resolve(path)).ToList();
        Assert.All(entries.Take(real.Length / 2), e => Assert.Equal(new DateTime(2026, 12, 31), e.Time.Date));
        Assert.All(entries.Skip(real.Length / 2), e => Assert.Equal(new DateTime(2027, 1, 1), e.Time.Date));
    }

    [Fact]
    public void A_line_from_a_month_after_the_files_last_write_belongs_to_the_previous_year()
    {
        var clock = new MailLogTimestampReader(new DateTimeOffset(2027, 2, 10, 0, 0, 0, TimeSpan.Zero), TimeZoneInfo.Utc);
        Assert.True(clock.TryRead("Nov 28 08:54:29 mx1 postfix/qmgr[1]: x", out var time, out var length));
        Assert.Equal((2026, 15), (time.Year, length));
        Assert.True(clock.TryRead("Feb  9 08:54:29 mx1 postfix/qmgr[1]: x", out time, out _));
        Assert.Equal(2027, time.Year);
    }

    [Fact]
    public void Syslog_times_are_local_time_of_the_given_zone()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var clock = new MailLogTimestampReader(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), berlin);
        Assert.True(clock.TryRead("Jul  1 12:00:00 mx postfix/qmgr[1]: x", out var summer, out _));
        Assert.True(clock.TryRead("Nov 28 12:00:00 mx postfix/qmgr[1]: x", out var winter, out _));
        Assert.Equal((TimeSpan.FromHours(2), TimeSpan.FromHours(1)), (summer.Offset, winter.Offset));
    }
}
