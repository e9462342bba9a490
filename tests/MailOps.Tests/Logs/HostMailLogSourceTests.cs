using System.IO.Compression;
using MailOps.Hosts;
using MailOps.Logs;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Logs;

/// <summary>A host's log read over a real sshd gives the same files, order and entries as the same files read here.</summary>
public sealed class HostMailLogSourceTests(SshFleet fleet) : IClassFixture<SshFleet>
{
    private string MakeLogDirectory()
    {
        var dir = Path.Combine(fleet.Directory, $"log-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        // The rotation logrotate leaves: yesterday's log compressed as mail.log.1.gz, today's as mail.log.
        using (var gz = new GZipStream(File.Create(Path.Combine(dir, "mail.log.1.gz")), CompressionLevel.Fastest))
        using (var old = File.OpenRead(LogFixtures.Path("postfix-mx1.log")))
            old.CopyTo(gz);
        File.SetLastWriteTimeUtc(Path.Combine(dir, "mail.log.1.gz"), DateTime.UtcNow.AddDays(-1));
        File.Copy(LogFixtures.Path("postfix-mx2.log"), Path.Combine(dir, "mail.log"));
        File.WriteAllText(Path.Combine(dir, "other.log"), "not a rotation\n");
        return dir;
    }

    [Fact]
    public async Task Rotations_found_and_read_over_ssh_equal_the_same_files_read_locally_and_carry_the_hosts_name()
    {
        var dir = MakeLogDirectory();
        await using var host = await fleet.ConnectAsync(fleet.First);
        var remote = new HostMailLogSource(host);

        var remoteFiles = remote.FindRotations(Path.Combine(dir, "mail.log"));
        var localFiles = LocalMailLogSource.Instance.FindRotations(Path.Combine(dir, "mail.log"));
        Assert.Equal(["mail.log.1.gz", "mail.log"], remoteFiles.Select(f => Path.GetFileName(f.Path)));
        Assert.Equal(localFiles.Select(f => (f.Path, f.Length, f.Compressed)), remoteFiles.Select(f => (f.Path, f.Length, f.Compressed)));

        var overSsh = new MailLogReader(remote, TimeZoneInfo.Utc).Read(remoteFiles).ToList();
        var here = new MailLogReader(LocalMailLogSource.Instance, TimeZoneInfo.Utc).Read(localFiles).ToList();
        Assert.NotEmpty(overSsh);
        Assert.Equal(here.Select(e => (e.Time, e.Program, e.QueueId, e.Text)), overSsh.Select(e => (e.Time, e.Program, e.QueueId, e.Text)));
        Assert.All(overSsh, e => Assert.Equal(host.ComputerName, e.ComputerName));
    }

    [Fact]
    public async Task Wildcards_match_on_the_host_and_names_with_pattern_characters_match_only_themselves()
    {
        var dir = MakeLogDirectory();
        File.WriteAllText(Path.Combine(dir, "odd[1].log"), "x\n");
        File.WriteAllText(Path.Combine(dir, "odd1.log"), "x\n");
        await using var host = await fleet.ConnectAsync(fleet.First);
        var remote = new HostMailLogSource(host);

        Assert.Equal(["mail.log.1.gz", "mail.log"], remote.Resolve(Path.Combine(dir, "mail.log*")).Select(f => Path.GetFileName(f.Path)));
        Assert.Equal(["odd[1].log"], remote.Resolve(Path.Combine(dir, "odd[1].log")).Select(f => Path.GetFileName(f.Path)));
        Assert.Empty(remote.Resolve(Path.Combine(dir, "missing.log")));
        Assert.Empty(remote.FindRotations(Path.Combine(dir, "no-such-directory", "mail.log")));
    }
}
