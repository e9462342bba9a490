using MailOps.Logs;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Logs;

/// <summary>
/// The sample logs under module/samples, captured from real daemons on this kind of machine by module/samples/capture.sh
/// (Debian's Postfix 3.7 as mx1 and mx2, Dovecot 2.3 with LMTP, IMAP and POP3) and from the bundled server driven by swaks
/// (mailops.log); not edited. Timestamps there are local time of the capture (November).
/// </summary>
static class LogFixtures
{
    public static string Path(string name) => System.IO.Path.Combine(NsdServer.RepositoryRoot(), "module", "samples", name);

    public static string[] Lines(string name) => File.ReadAllLines(Path(name));

    /// <summary>Every entry of a fixture, dated as if written in November 2026, in UTC.</summary>
    public static List<MailLogEntry> Entries(string name)
    {
        using var reader = new StreamReader(Path(name));
        return MailLogReader.Read(reader, Clock(), "fixture", name).ToList();
    }

    public static MailLogTimestampReader Clock() => new(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), TimeZoneInfo.Utc);

    public static MailLogEntry Parse(string line) => new MailLogLineParser(Clock()).Parse(line) ?? throw new InvalidOperationException("not parsed: " + line);
}
