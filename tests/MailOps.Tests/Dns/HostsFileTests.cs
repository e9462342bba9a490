using System.Net;
using MailOps.Dns;

namespace MailOps.Tests.Dns;

/// <summary>hosts(5) as the C library's files source reads it: the first line naming an address gives its name.</summary>
public sealed class HostsFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"hosts-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void The_first_name_on_the_first_line_of_an_address_is_its_name_and_comments_are_ignored()
    {
        File.WriteAllLines(_path,
        [
            "# 127.0.0.9 commented.test",
            "127.0.0.1\tLocalhost localhost.localdomain   # the loopback",
            "127.0.0.1 second-line.test",
            "::1 ip6-localhost ip6-loopback",
            "192.0.2.7",
            "not-an-address some.name",
        ]);
        var hosts = new HostsFile(_path);
        Assert.Equal("localhost", hosts.NameOf(IPAddress.Loopback));
        Assert.Equal("ip6-localhost", hosts.NameOf(IPAddress.IPv6Loopback));
        Assert.Equal("localhost", hosts.NameOf(IPAddress.Loopback.MapToIPv6()));
        Assert.Null(hosts.NameOf(IPAddress.Parse("127.0.0.9")));
        Assert.Null(hosts.NameOf(IPAddress.Parse("192.0.2.7")));
    }

    [Fact]
    public void A_changed_file_is_read_again()
    {
        File.WriteAllText(_path, "127.0.0.5 before.test\n");
        var hosts = new HostsFile(_path);
        Assert.Equal("before.test", hosts.NameOf(IPAddress.Parse("127.0.0.5")));
        File.WriteAllText(_path, "127.0.0.5 after-the-edit.test\n");
        File.SetLastWriteTimeUtc(_path, DateTime.UtcNow.AddSeconds(5));
        Assert.Equal("after-the-edit.test", hosts.NameOf(IPAddress.Parse("127.0.0.5")));
    }
}
