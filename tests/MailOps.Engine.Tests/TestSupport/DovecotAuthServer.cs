using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>
/// Debian's Dovecot, started in the foreground on a free 127.0.0.1 port with a private configuration whose passdb and
/// userdb are one passwd-file: the real thing our passwd-file writer must satisfy.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
sealed class DovecotAuthServer : IAsyncDisposable
{
    readonly Process _process;

    DovecotAuthServer(Process process, string directory, int port, string configPath)
    {
        _process = process;
        Directory = directory;
        Port = port;
        ConfigPath = configPath;
    }

    public string Directory { get; }

    public int Port { get; }

    public string ConfigPath { get; }

    public string LogPath => Path.Combine(Directory, "dovecot.log");

    public static async Task<DovecotAuthServer> StartAsync(string passwdFile, CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("mailops-dovecot-auth-").FullName;
        var homes = Path.Combine(directory, "homes");
        System.IO.Directory.CreateDirectory(homes);
        // The mail processes run as the dovecot user; it must be able to create homes.
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(homes, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        var port = FreePort();
        var (uid, gid) = await IdsOfAsync("dovecot", cancellationToken);
        var config = $$"""
            protocols = imap
            listen = 127.0.0.1
            base_dir = {{directory}}/run
            state_dir = {{directory}}/state
            log_path = {{directory}}/dovecot.log
            info_log_path = {{directory}}/dovecot.log
            default_internal_user = dovecot
            default_login_user = dovenull
            first_valid_uid = 1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            auth_verbose = yes
            auth_failure_delay = 0
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            passdb {
              driver = passwd-file
              args = scheme=SHA512-CRYPT {{passwdFile}}
            }
            userdb {
              driver = passwd-file
              args = {{passwdFile}}
              default_fields = uid={{uid}} gid={{gid}} home={{homes}}/%d/%n mail=maildir:~/Maildir
            }
            """;
        var configPath = Path.Combine(directory, "dovecot.conf");
        await File.WriteAllTextAsync(configPath, config, cancellationToken);
        var start = new ProcessStartInfo("/usr/sbin/dovecot", ["-F", "-c", configPath])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start)!;
        var server = new DovecotAuthServer(process, directory, port, configPath);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException("dovecot exited: " + await process.StandardError.ReadToEndAsync(cancellationToken)
                    + (File.Exists(server.LogPath) ? File.ReadAllText(server.LogPath) : ""));
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>Whether MailKit logs in as <paramref name="user"/> and opens the INBOX (the mail process found the user's home).</summary>
    public async Task<bool> LogsInAsync(string user, string password)
    {
        using var client = new MailKit.Net.Imap.ImapClient();
        await client.ConnectAsync("127.0.0.1", Port, MailKit.Security.SecureSocketOptions.None);
        try
        {
            await client.AuthenticateAsync(user, password);
            await client.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
            return true;
        }
        catch (MailKit.Security.AuthenticationException)
        {
            return false;
        }
        catch (MailKit.Net.Imap.ImapProtocolException)
        {
            // Dovecot may hang up on a refused login instead of answering NO: that is a refusal too.
            return false;
        }
        finally
        {
            await client.DisconnectAsync(true);
        }
    }

    // Dovecot's passwd-file driver stats the file at most once a second (db-passwd-file.c), so a change shows
    // within about a second, not at once.
    /// <summary>Whether <paramref name="condition"/> becomes true within 5 seconds (a passwd-file change takes up to one).</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(250);
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM lets the master stop its children; Process.Kill would orphan them.
            using (var stop = Process.Start("/usr/bin/doveadm", ["-c", ConfigPath, "stop"]))
                await stop.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    static int FreePort() => MailOps.Tests.TestSupport.TestPorts.Next();

    static async Task<(string Uid, string Gid)> IdsOfAsync(string user, CancellationToken cancellationToken)
    {
        var uid = (await ExternalProgram.RunAsync("/usr/bin/id", ["-u", user], cancellationToken: cancellationToken)).Output.Trim();
        var gid = (await ExternalProgram.RunAsync("/usr/bin/id", ["-g", user], cancellationToken: cancellationToken)).Output.Trim();
        return (uid, gid);
    }
}
