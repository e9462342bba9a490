using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailOps.Engine.Store;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>A user of the test Dovecot: a passwd-file line with a {PLAIN} password and its own mail location.</summary>
/// <param name="Name">The login name.</param>
/// <param name="Password">The password, stored as {PLAIN}.</param>
/// <param name="MailLocation">Dovecot's mail_location for the user, e.g. "maildir:/tmp/x/Maildir".</param>
/// <param name="ExtraFields">More userdb extra fields, space-separated, e.g. "userdb_quota_rule=*:storage=10K".</param>
public sealed record DovecotUser(string Name, string Password, string MailLocation, string ExtraFields = "");

/// <summary>
/// A real Dovecot (Debian's 2.3) with a private configuration, run in the foreground on 127.0.0.1 and free ports:
/// passwd-file users, plain-text logins, no TLS. Mail is accessed as <see cref="MailOwner"/>, since Dovecot refuses
/// to touch mail as root; give test Maildirs to that account (<see cref="MaildirOptions.Owner"/>).
/// </summary>
public sealed class DovecotServer : IDisposable
{
    private readonly Process _process;
    private readonly List<DovecotUser> _users;

    /// <summary>The directory holding the config, passwd file, runtime and state directories and the log.</summary>
    public string Directory { get; }
    /// <summary>The dovecot.conf path, for <c>doveadm -c</c>.</summary>
    public string ConfigPath => Path.Combine(Directory, "dovecot.conf");
    /// <summary>Dovecot's log (every service logs here).</summary>
    public string LogPath => Path.Combine(Directory, "dovecot.log");
    /// <summary>The IMAP port on 127.0.0.1.</summary>
    public int ImapPort { get; }
    /// <summary>The POP3 port on 127.0.0.1, 0 when POP3 is not served.</summary>
    public int Pop3Port { get; }

    /// <summary>
    /// The account Dovecot accesses mail as (mail_uid/mail_gid): the system user "mail" when the tests run as root,
    /// else the current user.
    /// </summary>
    public static MaildirOwner MailOwner { get; } = FindMailOwner();

    private DovecotServer(string directory, List<DovecotUser> users, int imapPort, int pop3Port, Process process)
    {
        Directory = directory;
        _users = users;
        ImapPort = imapPort;
        Pop3Port = pop3Port;
        _process = process;
    }

    /// <summary>
    /// Starts Dovecot serving <paramref name="users"/> and waits until it greets on the IMAP port.
    /// </summary>
    /// <param name="users">The passwd-file users.</param>
    /// <param name="pop3">Serve POP3 too.</param>
    /// <param name="extraConfig">More dovecot.conf lines, appended as given.</param>
    public static DovecotServer Start(IEnumerable<DovecotUser> users, bool pop3 = false, string extraConfig = "")
    {
        var dir = NewWorkDirectory("mailops-dovecot");
        var imapPort = FreePort();
        var pop3Port = pop3 ? FreePort() : 0;
        var owner = MailOwner;
        var root = Environment.UserName == "root";
        var conf = new StringBuilder($$"""
            protocols = imap{{(pop3 ? " pop3" : "")}}
            listen = 127.0.0.1
            base_dir = {{dir}}/run
            state_dir = {{dir}}/state
            log_path = {{dir}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain
            default_internal_user = {{(root ? ExistingUser("dovecot") : Environment.UserName)}}
            default_login_user = {{(root ? ExistingUser("dovenull") : Environment.UserName)}}
            mail_uid = {{owner.Uid}}
            mail_gid = {{owner.Gid}}
            first_valid_uid = {{owner.Uid}}
            first_valid_gid = {{owner.Gid}}
            passdb {
              driver = passwd-file
              args = {{dir}}/passwd
            }
            userdb {
              driver = passwd-file
              args = {{dir}}/passwd
            }
            service imap-login {
              inet_listener imap {
                port = {{imapPort}}
              }
              inet_listener imaps {
                port = 0
              }
            }

            """);
        if (pop3)
        {
            conf.Append($$"""
                service pop3-login {
                  inet_listener pop3 {
                    port = {{pop3Port}}
                  }
                  inet_listener pop3s {
                    port = 0
                  }
                }

                """);
        }
        conf.AppendLine(extraConfig);
        File.WriteAllText(Path.Combine(dir, "dovecot.conf"), conf.ToString());
        var userList = users.ToList();
        WritePasswd(dir, userList);

        var psi = new ProcessStartInfo("dovecot", ["-F", "-c", Path.Combine(dir, "dovecot.conf")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("dovecot did not start");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new DovecotServer(dir, userList, imapPort, pop3Port, process);
        try
        {
            server.WaitUntilGreeting(imapPort);
            if (pop3) server.WaitUntilGreeting(pop3Port);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>Adds a user; Dovecot re-reads the passwd file when it changes.</summary>
    public void AddUser(DovecotUser user)
    {
        _users.Add(user);
        WritePasswd(Directory, _users);
    }

    /// <summary>The log so far.</summary>
    public string ReadLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    /// <summary>Log lines that report a problem: warnings, errors, fatal errors and panics.</summary>
    public IReadOnlyList<string> LogProblems() =>
        ReadLog().Split('\n').Where(l => l.Contains("Warning:") || l.Contains("Error:") || l.Contains("Fatal:") || l.Contains("Panic:"))
            // The master's own notes about this private setup are not about mail.
            .Where(l => !l.Contains("SIGHUP received")).ToList();

    /// <summary>Runs <c>doveadm -c CONFIG ARGS</c> and returns its output; throws when it fails.</summary>
    public string Doveadm(params string[] args) => Run("doveadm", ["-c", ConfigPath, .. args], stdin: null);

    /// <summary>
    /// Delivers <paramref name="message"/> to <paramref name="user"/> with Dovecot's own LDA (dovecot-lda -d USER), the
    /// reference our store is compared with.
    /// </summary>
    public void DeliverWithDovecotLda(string user, byte[] message, string? folder = null)
    {
        string[] args = folder is null ? ["-c", ConfigPath, "-d", user, "-f", "sender@example.org"] : ["-c", ConfigPath, "-d", user, "-f", "sender@example.org", "-m", folder];
        Run("/usr/lib/dovecot/dovecot-lda", args, message);
    }

    /// <summary>A new empty directory under the temp directory, mode 0755 so that <see cref="MailOwner"/> can pass through it.</summary>
    public static string NewWorkDirectory(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return dir;
    }

    private string Run(string file, string[] args, byte[]? stdin)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException(file + " did not start");
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000)) { process.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish"); }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}{stdout.Result}\n{ReadLog()}");
        return stdout.Result;
    }

    private static void WritePasswd(string dir, IEnumerable<DovecotUser> users)
    {
        var text = new StringBuilder();
        foreach (var user in users) text.Append($"{user.Name}:{{PLAIN}}{user.Password}::::::userdb_mail={user.MailLocation}{(user.ExtraFields.Length > 0 ? " " + user.ExtraFields : "")}\n");
        var path = Path.Combine(dir, "passwd");
        var temp = path + ".tmp";
        File.WriteAllText(temp, text.ToString());
        File.Move(temp, path, overwrite: true);
    }

    private void WaitUntilGreeting(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"dovecot exited with {_process.ExitCode}: {ReadLog()}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                client.ReceiveTimeout = 2000;
                var buffer = new byte[64];
                var read = client.GetStream().Read(buffer);
                if (read > 0 && buffer[0] is (byte)'+' or (byte)'*') return;
            }
            catch (SocketException) { }
            catch (IOException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException($"dovecot did not greet on port {port} within 30 s: {ReadLog()}");
    }

    private static string ExistingUser(string name) =>
        File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal)) ? name : "root";

    private static MaildirOwner FindMailOwner()
    {
        var name = Environment.UserName == "root" ? "mail" : Environment.UserName;
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length > 3 && fields[0] == name) return new MaildirOwner(uint.Parse(fields[2]), uint.Parse(fields[3]));
        }
        throw new InvalidOperationException($"No account '{name}' in /etc/passwd to own test mail.");
    }

    private static int FreePort() => MailOps.Tests.TestSupport.TestPorts.Next();

    /// <summary>Stops Dovecot (doveadm stop, then kill) and removes its directory.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                try { Doveadm("stop"); } catch (Exception) { }
                if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
