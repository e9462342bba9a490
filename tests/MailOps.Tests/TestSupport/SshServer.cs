using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MailOps.Tests.TestSupport;

/// <summary>
/// A real Debian OpenSSH sshd on a loopback address and a free port, with host keys (ed25519, ecdsa, rsa) made for
/// this run and one authorized client key; root and <see cref="SudoUser"/> may log in with it.
/// </summary>
public sealed class SshServer : IDisposable
{
    /// <summary>A user that may run <c>id</c> as root with <c>sudo -n</c> and nothing else without a password.</summary>
    public const string SudoUser = "mailops-ssh";

    private readonly Process _process;

    private SshServer(string directory, string address, int port, Process process)
    {
        Directory = directory;
        Address = address;
        Port = port;
        _process = process;
    }

    /// <summary>The directory holding sshd_config, the keys and the log.</summary>
    public string Directory { get; }

    /// <summary>The loopback address sshd listens on.</summary>
    public string Address { get; }

    /// <summary>The port sshd listens on.</summary>
    public int Port { get; }

    /// <summary>sshd's log (-E).</summary>
    public string LogFile => Path.Combine(Directory, "sshd.log");

    /// <summary>The public host key file of a type: ed25519, ecdsa or rsa.</summary>
    public string HostKeyPublicFile(string type) => Path.Combine(Directory, $"ssh_host_{type}_key.pub");

    /// <summary>The known_hosts line for this server's key of <paramref name="type"/>: <c>[address]:port keytype base64</c>.</summary>
    public string KnownHostsLine(string type)
    {
        var fields = File.ReadAllText(HostKeyPublicFile(type)).Split(' ');
        return $"[{Address}]:{Port} {fields[0]} {fields[1]}";
    }

    /// <summary>The fingerprint ssh-keygen prints for the host key of <paramref name="type"/> (SHA256:...).</summary>
    public string Fingerprint(string type) => Run("ssh-keygen", "-l", "-E", "sha256", "-f", HostKeyPublicFile(type)).Split(' ')[1];

    /// <summary>
    /// Makes a client key pair in <paramref name="directory"/> (client_key, client_key.pub) for servers to authorize,
    /// and the sudo test user, once.
    /// </summary>
    public static string MakeClientKey(string directory)
    {
        var key = Path.Combine(directory, "client_key");
        if (!File.Exists(key)) Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mailops-test", "-f", key);
        EnsureSudoUser();
        return key;
    }

    /// <summary>Starts sshd on <paramref name="address"/> (127.0.0.0/8) authorizing <paramref name="clientPublicKeyFile"/>.</summary>
    public static SshServer Start(string clientPublicKeyFile, string address = "127.0.0.1")
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("mailops-sshd-").FullName;
        System.IO.Directory.CreateDirectory("/run/sshd");
        foreach (var type in new[] { "ed25519", "ecdsa", "rsa" })
            Run("ssh-keygen", "-q", "-t", type, "-N", "", "-C", $"host-{type}", "-f", Path.Combine(dir, $"ssh_host_{type}_key"));
        File.Copy(clientPublicKeyFile, Path.Combine(dir, "authorized_keys"));
        // sshd reads the keys file as the user logging in (root or the sudo user).
        Run("chmod", "755", dir);
        Run("chmod", "644", Path.Combine(dir, "authorized_keys"));
        var port = FreePort(address);
        File.WriteAllText(Path.Combine(dir, "sshd_config"), $"""
            Port {port}
            ListenAddress {address}
            HostKey {dir}/ssh_host_ed25519_key
            HostKey {dir}/ssh_host_ecdsa_key
            HostKey {dir}/ssh_host_rsa_key
            PidFile {dir}/sshd.pid
            AuthorizedKeysFile {dir}/authorized_keys
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            PermitRootLogin prohibit-password
            LogLevel VERBOSE

            """);
        var start = new ProcessStartInfo("/usr/sbin/sshd", ["-D", "-f", Path.Combine(dir, "sshd_config"), "-E", Path.Combine(dir, "sshd.log")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        var server = new SshServer(dir, address, port, process);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"sshd exited: {process.StandardError.ReadToEnd()} {server.ReadLog()}");
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Parse(address), port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>sshd's log so far.</summary>
    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    /// <summary>Stops sshd (and the sessions it serves) and removes its directory.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }

    /// <summary>Runs a program and returns its standard output; a failure throws with its error output.</summary>
    public static string Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        return output;
    }

    // A system user with a usable (not locked) account for sshd with UsePAM no, and a sudoers rule for `id` alone.
    private static void EnsureSudoUser()
    {
        try { Run("id", SudoUser); }
        catch (InvalidOperationException) { Run("useradd", "--system", "--no-create-home", "--shell", "/bin/sh", "--password", "*", SudoUser); }
        var rule = $"/etc/sudoers.d/{SudoUser}";
        if (File.Exists(rule)) return;
        var staged = rule + ".tmp";
        File.WriteAllText(staged, $"{SudoUser} ALL=(root) NOPASSWD: /usr/bin/id\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        Run("visudo", "-c", "-q", "-f", staged);
        File.Move(staged, rule);
    }

    private static int FreePort(string address) => TestPorts.Next(address);
}
