using MailOps.Hosts;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Hosts;

/// <summary>Commands run with their arguments intact over SSH and locally: no value can make a shell run something else.</summary>
public sealed class HostCommandTests(SshFleet fleet) : IClassFixture<SshFleet>
{
    private static string[] Injections(string marker) =>
    [
        $"$(touch {marker})",
        $"`touch {marker}`",
        $"; touch {marker}",
        $"x' ; touch {marker} ; echo '",
        $"x\" ; touch {marker} ; echo \"",
        $"line\ntouch {marker}",
        $"&& touch {marker} || touch {marker}",
        $"| touch {marker}",
        $"${{IFS}}touch${{IFS}}{marker}",
        $"-n",
        $"--version",
        $"'\\''; touch {marker}; '",
        $"*",
        $"",
    ];

    private Task<SshHostConnection> Connect(string user = "root", bool sudo = false) => fleet.ConnectAsync(fleet.First, user, sudo);

    [Fact]
    public async Task Shell_metacharacters_in_arguments_reach_the_program_verbatim_over_ssh_and_run_nothing()
    {
        var marker = Path.Combine(fleet.Directory, $"injected-{Guid.NewGuid():N}");
        await using var ssh = await Connect();
        foreach (var value in Injections(marker))
        {
            // printf %s\0 prints each argument exactly as received, NUL-terminated.
            var output = await ssh.RunForOutputAsync(new HostCommand("printf", "%s\\0", value, "second"));
            Assert.Equal(value + "\0second\0", output);
        }
        Assert.False(File.Exists(marker), "an argument ran a command on the remote shell");
    }

    [Fact]
    public async Task The_program_name_is_quoted_too()
    {
        var marker = Path.Combine(fleet.Directory, $"injected-{Guid.NewGuid():N}");
        await using var ssh = await Connect();
        var result = await ssh.RunAsync(new HostCommand($"echo;touch {marker}"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Shell_metacharacters_in_arguments_reach_the_program_verbatim_locally()
    {
        var marker = Path.Combine(fleet.Directory, $"injected-{Guid.NewGuid():N}");
        foreach (var value in Injections(marker))
            Assert.Equal(value + "\0", await LocalHostConnection.Instance.RunForOutputAsync(new HostCommand("printf", "%s\\0", value)));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void The_quoting_is_the_posix_single_quote_form()
    {
        Assert.Equal("'it'\\''s'", PosixShell.Quote("it's"));
        Assert.Equal("''", PosixShell.Quote(""));
        Assert.Contains(" sudo -n -- 'postconf' '-n' </dev/null", PosixShell.CommandLine(new HostCommand("postconf", "-n"), sudo: true));
    }

    [Fact]
    public async Task Input_reaches_the_program_byte_for_byte_over_ssh_and_locally_and_ends_so_it_can_finish()
    {
        // More than an SSH channel window (2 MiB), with every byte value, so nothing is lost, changed or held back.
        var input = new byte[3 * 1024 * 1024 + 17];
        for (var i = 0; i < input.Length; i++) input[i] = (byte)(i * 7 + i / 256);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input));
        await using var ssh = await Connect();
        foreach (HostConnection host in new HostConnection[] { ssh, LocalHostConnection.Instance })
        {
            var output = await host.RunForOutputAsync(new HostCommand("sha256sum") { Input = input });
            Assert.Equal(expected, output.Split(' ')[0]);
            // Empty input ends at once too (SSH.NET would send no EOF for it).
            Assert.Equal("0", (await host.RunForOutputAsync(new HostCommand("wc", "-c") { Input = Array.Empty<byte>() })).Trim());
        }
    }

    [Fact]
    public async Task Exit_code_and_standard_error_come_back_apart_from_standard_output()
    {
        await using var ssh = await Connect();
        foreach (HostConnection host in new HostConnection[] { ssh, LocalHostConnection.Instance })
        {
            var result = await host.RunAsync(new HostCommand("sh", "-c", "echo out; echo err >&2; exit 3"));
            Assert.Equal((3, "out\n", "err\n"), (result.ExitCode, result.Output, result.Error));
        }
    }

    [Fact]
    public async Task Large_output_streams_and_cancelling_stops_a_command_that_never_ends()
    {
        await using var ssh = await Connect();
        foreach (HostConnection host in new HostConnection[] { ssh, LocalHostConnection.Instance })
        {
            await using (var running = await host.StartAsync(new HostCommand("seq", "1", "300000")))
            {
                using var reader = new StreamReader(running.Output);
                var lines = 0;
                string? last = null;
                while (await reader.ReadLineAsync() is { } line) { lines++; last = line; }
                Assert.Equal((300000, "300000"), (lines, last));
                Assert.Equal(0, (await running.WaitForExitAsync()).ExitCode);
            }
            using var cancel = new CancellationTokenSource();
            var endless = host.RunAsync(new HostCommand("sleep", "987"), cancel.Token);
            cancel.CancelAfter(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => endless);
        }
        // The remote sleep was signalled, not left behind.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (SshServer.Run("sh", "-c", "pgrep -x sleep -a | grep -c ' 987$' || true").Trim() != "0" && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True("0" == SshServer.Run("sh", "-c", "pgrep -x sleep -a | grep -c ' 987$' || true").Trim(), fleet.First.ReadLog());
    }

    [Fact]
    public async Task A_sudo_session_runs_as_root_with_sudo_n_and_a_user_without_a_rule_is_refused_without_a_prompt()
    {
        await using (var plain = await Connect(SshServer.SudoUser))
            Assert.NotEqual("0", (await plain.RunForOutputAsync(new HostCommand("id", "-u"))).Trim());
        await using (var sudo = await Connect(SshServer.SudoUser, sudo: true))
        {
            Assert.Equal("0", (await sudo.RunForOutputAsync(new HostCommand("id", "-u"))).Trim());
            // The rule allows id only: anything else fails at once with sudo's message instead of asking for a password.
            var refused = await sudo.RunAsync(new HostCommand("cat", "/etc/shadow"));
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("sudo", refused.Error);
            Assert.Equal("", refused.Output);
        }
    }
}
