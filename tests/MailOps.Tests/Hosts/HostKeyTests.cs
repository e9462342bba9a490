using MailOps.Hosts;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Hosts;

/// <summary>Host keys are checked against OpenSSH known_hosts files, as ssh with StrictHostKeyChecking would.</summary>
public sealed class HostKeyTests(SshFleet fleet) : IClassFixture<SshFleet>
{
    private MailHostSessionOptions Options(SshServer server, string knownHosts, bool acceptNew = false) => new()
    {
        HostName = server.Address,
        Port = server.Port,
        UserName = "root",
        KeyFilePaths = [fleet.ClientKey],
        KnownHostsPath = knownHosts,
        AcceptNewHostKey = acceptNew,
    };

    [Fact]
    public async Task A_key_login_to_a_host_in_known_hosts_runs_commands_and_reports_the_fingerprint_ssh_keygen_prints()
    {
        await using var ssh = await SshHostConnection.ConnectAsync(Options(fleet.First, fleet.KnownHosts(fleet.First.KnownHostsLine("ed25519"))));
        var result = await ssh.RunAsync(new HostCommand("id", "-un"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("root\n", result.Output);
        Assert.Equal(fleet.First.Fingerprint("ed25519"), ssh.HostKey.Fingerprint);
    }

    [Theory]
    [InlineData("ed25519", "ssh-ed25519")]
    [InlineData("ecdsa", "ecdsa-sha2-nistp256")]
    [InlineData("rsa", "ssh-rsa")]
    public async Task The_key_type_known_hosts_holds_is_the_one_asked_for_and_accepted(string type, string keyType)
    {
        await using var ssh = await SshHostConnection.ConnectAsync(Options(fleet.First, fleet.KnownHosts(fleet.First.KnownHostsLine(type))));
        Assert.Equal(keyType, ssh.HostKey.KeyType);
        Assert.Equal(fleet.First.Fingerprint(type), ssh.HostKey.Fingerprint);
    }

    [Fact]
    public async Task A_known_hosts_file_hashed_by_ssh_keygen_is_accepted()
    {
        var path = fleet.KnownHosts("# comment", fleet.Second.KnownHostsLine("ed25519"));
        SshServer.Run("ssh-keygen", "-H", "-f", path);
        Assert.StartsWith("|1|", File.ReadAllLines(path).First(l => !l.StartsWith('#')));
        await using var ssh = await SshHostConnection.ConnectAsync(Options(fleet.Second, path));
        Assert.Equal("ok", (await ssh.RunForOutputAsync(new HostCommand("echo", "ok"))).Trim());
    }

    [Fact]
    public async Task A_plain_entry_with_several_patterns_and_a_wildcard_is_accepted_but_a_negated_one_is_not()
    {
        var key = fleet.First.KnownHostsLine("ed25519").Split(' ', 2)[1];
        await using (await SshHostConnection.ConnectAsync(Options(fleet.First, fleet.KnownHosts($"other.example,[127.0.0.*]:{fleet.First.Port} {key}")))) { }
        var negated = fleet.KnownHosts($"[127.0.0.*]:{fleet.First.Port},![127.0.0.1]:{fleet.First.Port} {key}");
        var refused = await Assert.ThrowsAsync<SshHostKeyException>(() => SshHostConnection.ConnectAsync(Options(fleet.First, negated)));
        Assert.Equal(SshHostKeyProblem.Unknown, refused.Problem);
    }

    [Fact]
    public async Task A_host_on_another_port_does_not_match_the_entry_for_the_bare_name()
    {
        var key = fleet.First.KnownHostsLine("ed25519").Split(' ', 2)[1];
        var refused = await Assert.ThrowsAsync<SshHostKeyException>(() => SshHostConnection.ConnectAsync(Options(fleet.First, fleet.KnownHosts($"127.0.0.1 {key}"))));
        Assert.Equal(SshHostKeyProblem.Unknown, refused.Problem);
    }

    [Fact]
    public async Task An_unknown_key_is_refused_then_accepted_with_AcceptNewHostKey_and_written_so_ssh_keygen_finds_it()
    {
        var path = Path.Combine(fleet.Directory, $"fresh-{Guid.NewGuid():N}", "known_hosts");
        int Logins() => fleet.Second.ReadLog().Split("Accepted publickey").Length;
        var logins = Logins();
        var refused = await Assert.ThrowsAsync<SshHostKeyException>(() => SshHostConnection.ConnectAsync(Options(fleet.Second, path)));
        Assert.Equal(SshHostKeyProblem.Unknown, refused.Problem);
        Assert.False(File.Exists(path));
        Assert.Equal(logins, Logins());

        await using (var accepted = await SshHostConnection.ConnectAsync(Options(fleet.Second, path, acceptNew: true)))
            Assert.Equal("ok", (await accepted.RunForOutputAsync(new HostCommand("echo", "ok"))).Trim());
        var found = SshServer.Run("ssh-keygen", "-F", $"[{fleet.Second.Address}]:{fleet.Second.Port}", "-f", path);
        Assert.Contains(File.ReadAllText(fleet.Second.HostKeyPublicFile("ed25519")).Split(' ')[1], found);

        await using var again = await SshHostConnection.ConnectAsync(Options(fleet.Second, path));
        Assert.Single(File.ReadAllLines(path));
    }

    [Fact]
    public async Task A_changed_key_is_refused_even_with_AcceptNewHostKey_naming_the_fingerprint_the_host_presented()
    {
        var other = Path.Combine(fleet.Directory, $"other-{Guid.NewGuid():N}");
        SshServer.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other);
        var stale = File.ReadAllText(other + ".pub").Split(' ');
        var path = fleet.KnownHosts($"[{fleet.First.Address}]:{fleet.First.Port} {stale[0]} {stale[1]}");
        var before = File.ReadAllBytes(path);
        var refused = await Assert.ThrowsAsync<SshHostKeyException>(() => SshHostConnection.ConnectAsync(Options(fleet.First, path, acceptNew: true)));
        Assert.Equal(SshHostKeyProblem.Mismatch, refused.Problem);
        Assert.Contains(fleet.First.Fingerprint("ed25519"), refused.Message);
        Assert.Equal("SshHostKeyMismatch", MailHostFailure.ErrorId(refused));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task A_key_marked_revoked_is_refused_even_when_also_listed_as_known()
    {
        var line = fleet.First.KnownHostsLine("ed25519");
        var path = fleet.KnownHosts(line, "@revoked * " + line.Split(' ', 2)[1]);
        var refused = await Assert.ThrowsAsync<SshHostKeyException>(() => SshHostConnection.ConnectAsync(Options(fleet.First, path, acceptNew: true)));
        Assert.Equal(SshHostKeyProblem.Revoked, refused.Problem);
    }

    [Fact]
    public async Task A_port_where_nothing_listens_is_reported_as_unreachable()
    {
        var path = fleet.KnownHosts(fleet.First.KnownHostsLine("ed25519"));
        var options = new MailHostSessionOptions { HostName = "127.0.0.3", Port = fleet.First.Port, UserName = "root", KeyFilePaths = [fleet.ClientKey], KnownHostsPath = path };
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => SshHostConnection.ConnectAsync(options));
        Assert.Equal("MailHostUnreachable", MailHostFailure.ErrorId(failure));
    }

    [Fact]
    public async Task A_key_the_server_does_not_authorize_is_an_authentication_failure()
    {
        var stranger = Path.Combine(fleet.Directory, $"stranger-{Guid.NewGuid():N}");
        SshServer.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger);
        var options = new MailHostSessionOptions
        {
            HostName = fleet.First.Address, Port = fleet.First.Port, UserName = "root", KeyFilePaths = [stranger],
            KnownHostsPath = fleet.KnownHosts(fleet.First.KnownHostsLine("ed25519")),
        };
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => SshHostConnection.ConnectAsync(options));
        Assert.Equal("SshAuthenticationFailed", MailHostFailure.ErrorId(failure));
    }
}
