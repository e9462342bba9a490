using System.Runtime.CompilerServices;

namespace MailOps.Logs;

/// <summary>
/// Reads the timestamp that starts a log line, in the three forms mail logs use, and infers the year syslog leaves out:
/// <list type="bullet">
/// <item>traditional syslog and <c>journalctl -o short</c>: <c>Nov 28 05:51:27</c> or <c>Nov  8 05:51:27</c>, local time
/// (RFC 3164 4.1.2), the year inferred; <c>journalctl -o short-precise</c>'s <c>Nov 28 05:51:27.123456</c> too;</item>
/// <item>RFC 3339 (rsyslog's high-precision format, <c>journalctl -o short-iso</c>): <c>2026-11-28T05:51:27.123456+01:00</c>,
/// also <c>+0100</c> and <c>Z</c> (RFC 3339 5.6).</item>
/// </list>
/// One reader is used per file, front to back: the first year-less line takes the year of <see cref="ReferenceTime"/>
/// (the file's last write, when its last line was written), or the year before when its month is later than that
/// month; each step back from December to January afterwards is a new year.
/// </summary>
public sealed class MailLogTimestampReader
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private readonly TimeZoneInfo _zone;
    private int _year;
    private int _lastMonth;
    private long _cachedKey = -1;
    private DateTimeOffset _cachedTime;

    /// <summary>A reader for lines written up to <paramref name="referenceTime"/> in <paramref name="zone"/> (local time when null).</summary>
    public MailLogTimestampReader(DateTimeOffset referenceTime, TimeZoneInfo? zone = null)
    {
        ReferenceTime = referenceTime;
        _zone = zone ?? TimeZoneInfo.Local;
    }

    /// <summary>The time the last line cannot be later than (a file's last write time).</summary>
    public DateTimeOffset ReferenceTime { get; }

    /// <summary>
    /// Reads the timestamp at the start of <paramref name="line"/>; <paramref name="length"/> is its length in characters
    /// (without the space after it). False when the line does not start with a timestamp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRead(ReadOnlySpan<char> line, out DateTimeOffset time, out int length)
    {
        time = default;
        length = 0;
        if (line.Length < 15) return false;
        if (IsDigit(line[0])) return TryReadRfc3339(line, out time, out length);
        return TryReadTraditional(line, out time, out length);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryReadTraditional(ReadOnlySpan<char> line, out DateTimeOffset time, out int length)
    {
        time = default;
        length = 15;
        // "Mmm dd hh:mm:ss": the day is space-padded (" 8") by syslog and zero-padded ("08") by postlogd;
        // journalctl -o short-precise adds ".ffffff".
        long fraction = 0;
        if (line.Length > 16 && line[15] == '.' && IsDigit(line[16]))
        {
            var scale = TimeSpan.TicksPerSecond;
            for (length = 16; length < line.Length && IsDigit(line[length]); length++)
            {
                scale /= 10;
                fraction += Digit(line[length]) * scale;
            }
        }
        if (line[3] != ' ' || line[6] != ' ' || line[9] != ':' || line[12] != ':') return false;
        var month = MonthOf(line[..3]);
        if (month == 0) return false;
        var day = (line[4] == ' ' ? 0 : Digit(line[4])) * 10 + Digit(line[5]);
        int hour = Two(line, 7), minute = Two(line, 10), second = Two(line, 13);
        if (day is < 1 or > 31 || hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 60) return false;
        if (_lastMonth == 0)
        {
            var reference = TimeZoneInfo.ConvertTime(ReferenceTime, _zone);
            _year = month > reference.Month ? reference.Year - 1 : reference.Year;
        }
        else if (month < _lastMonth && _lastMonth - month >= 6)
        {
            _year++; // December to January: the next year
        }
        else if (month > _lastMonth && month - _lastMonth >= 6)
        {
            _year--; // a late line from before the turn of the year
        }
        _lastMonth = month;
        // Many lines share a second: reuse the last conversion (the time zone lookup is the costly part).
        var key = ((((long)_year * 13 + month) * 32 + day) * 24 + hour) * 3600 + minute * 60 + second;
        if (key != _cachedKey)
        {
            if (day > DateTime.DaysInMonth(_year, month)) return false;
            var local = new DateTime(_year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified);
            _cachedTime = new DateTimeOffset(local, _zone.GetUtcOffset(local));
            _cachedKey = key;
        }
        time = fraction == 0 ? _cachedTime : _cachedTime.AddTicks(fraction);
        return true;
    }

    private static bool TryReadRfc3339(ReadOnlySpan<char> line, out DateTimeOffset time, out int length)
    {
        time = default;
        length = 0;
        // yyyy-mm-ddThh:mm:ss[.frac](Z|+hh:mm|+hhmm)
        if (line.Length < 20 || line[4] != '-' || line[7] != '-' || (line[10] != 'T' && line[10] != ' ') || line[13] != ':' || line[16] != ':') return false;
        int year = Two(line, 0) * 100 + Two(line, 2), month = Two(line, 5), day = Two(line, 8);
        int hour = Two(line, 11), minute = Two(line, 14), second = Two(line, 17);
        if (year < 0 || month is < 1 or > 12 || day < 1 || hour is < 0 or > 23 || minute is < 0 or > 59 || second is < 0 or > 60) return false;
        if (day > DateTime.DaysInMonth(year, month)) return false;
        var i = 19;
        long ticks = 0;
        if (i < line.Length && line[i] == '.')
        {
            i++;
            var scale = TimeSpan.TicksPerSecond;
            while (i < line.Length && IsDigit(line[i]))
            {
                scale /= 10;
                ticks += Digit(line[i]) * scale;
                i++;
            }
        }
        if (i >= line.Length) return false;
        TimeSpan offset;
        if (line[i] == 'Z')
        {
            offset = TimeSpan.Zero;
            i++;
        }
        else if (line[i] is '+' or '-' && i + 5 <= line.Length)
        {
            var sign = line[i] == '-' ? -1 : 1;
            var oh = Two(line, i + 1);
            var colon = line.Length > i + 3 && line[i + 3] == ':';
            var om = Two(line, i + (colon ? 4 : 3));
            if (oh < 0 || om < 0) return false;
            offset = sign * new TimeSpan(oh, om, 0);
            i += colon ? 6 : 5;
        }
        else return false;
        var local = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified).AddTicks(ticks);
        time = new DateTimeOffset(local, offset);
        length = i;
        return true;
    }

    private static int MonthOf(ReadOnlySpan<char> name)
    {
        for (var m = 0; m < 12; m++)
        {
            if (name.Equals(Months[m], StringComparison.Ordinal)) return m + 1;
        }
        return 0;
    }

    private static bool IsDigit(char c) => (uint)(c - '0') <= 9;

    private static int Digit(char c) => IsDigit(c) ? c - '0' : -100;

    private static int Two(ReadOnlySpan<char> s, int at) => at + 1 < s.Length ? Math.Max(-1, Digit(s[at]) * 10 + Digit(s[at + 1])) : -1;
}
