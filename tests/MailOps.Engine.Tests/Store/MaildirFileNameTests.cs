using System.Text.RegularExpressions;
using MailOps.Engine.Store;

namespace MailOps.Engine.Tests.Store;

public class MaildirFileNameTests
{
    [Fact]
    public void A_new_name_is_seconds_microseconds_pid_and_host_as_Dovecot_makes_it()
    {
        var name = MaildirFileName.NewUniqueName("mx1.example.com");
        var match = Regex.Match(name, @"^(\d+)\.M(\d+)P(\d+)\.mx1\.example\.com$");
        Assert.True(match.Success, name);
        Assert.InRange(long.Parse(match.Groups[1].Value), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.InRange(int.Parse(match.Groups[2].Value), 0, 999_999);
        Assert.Equal(Environment.ProcessId.ToString(), match.Groups[3].Value);
    }

    [Fact]
    public void Names_made_in_the_same_microsecond_still_differ()
    {
        var names = Enumerable.Range(0, 10_000).Select(_ => MaildirFileName.NewUniqueName("h")).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Slash_and_colon_in_the_host_name_are_escaped_as_057_and_072()
    {
        Assert.Equal(@"a\057b\072c", MaildirFileName.EscapeHost("a/b:c"));
    }

    [Fact]
    public void Sizes_and_flags_are_written_and_read_back()
    {
        var baseName = MaildirFileName.WithSizes("1700000000.M12P34.host", 1234, 1260);
        Assert.Equal("1700000000.M12P34.host,S=1234,W=1260", baseName);
        var name = MaildirFileName.WithFlags(baseName, MessageFlags.Seen | MessageFlags.Flagged | MessageFlags.Answered);
        Assert.Equal("1700000000.M12P34.host,S=1234,W=1260:2,FRS", name);
        Assert.True(MaildirFileName.TryGetSize(name, 'S', out var size));
        Assert.Equal(1234, size);
        Assert.True(MaildirFileName.TryGetSize(name, 'W', out var vsize));
        Assert.Equal(1260, vsize);
        Assert.Equal(baseName, MaildirFileName.BaseOf(name));
        Assert.Equal((MessageFlags.Seen | MessageFlags.Flagged | MessageFlags.Answered, ""), MaildirFileName.ParseFlags(name));
        Assert.Equal((MessageFlags.Draft | MessageFlags.Deleted, "ac"), MaildirFileName.ParseFlags("x:2,DTac"));
        Assert.False(MaildirFileName.TryGetSize("1700000000.M12P34.host", 'S', out _));
        Assert.Equal(baseName, MaildirFileName.WithFlags(baseName, MessageFlags.None));
    }

    [Fact]
    public void Files_are_ordered_by_seconds_then_microseconds_as_Dovecot_numbers_them()
    {
        var names = new[] { "200.M5P1.h", "100.M20P1.h", "100.M3P9.h", "99.M999P1.h" };
        var sorted = names.Order(Comparer<string>.Create(MaildirFileName.SortCompare)).ToArray();
        Assert.Equal(["99.M999P1.h", "100.M3P9.h", "100.M20P1.h", "200.M5P1.h"], sorted);
    }
}
