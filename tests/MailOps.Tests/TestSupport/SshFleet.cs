using MailOps.Hosts;

namespace MailOps.Tests.TestSupport;

/// <summary>
/// Two sshd "hosts" (127.0.0.1 and 127.0.0.2, each its own port and host keys) sharing one client key: the fleet the
/// host tests connect to. One per test class.
/// </summary>
public sealed class SshFleet : IDisposable
{
    /// <summary>Starts both servers.</summary>
    public SshFleet()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mailops-ssh-client-").FullName;
        ClientKey = SshServer.MakeClientKey(Directory);
        First = SshServer.Start(ClientKey + ".pub", "127.0.0.1");
        Second = SshServer.Start(ClientKey + ".pub", "127.0.0.2");
    }

    /// <summary>Where the client key and the tests' known_hosts files live.</summary>
    public string Directory { get; }

    /// <summary>The private key both servers authorize.</summary>
    public string ClientKey { get; }

    /// <summary>sshd on 127.0.0.1.</summary>
    public SshServer First { get; }

    /// <summary>sshd on 127.0.0.2.</summary>
    public SshServer Second { get; }

    /// <summary>A new known_hosts file in <see cref="Directory"/> holding <paramref name="lines"/>.</summary>
    public string KnownHosts(params string[] lines)
    {
        var path = Path.Combine(Directory, $"known_hosts-{Guid.NewGuid():N}");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Connects to <paramref name="server"/> with the client key, its ed25519 key in a fresh known_hosts.</summary>
    public Task<SshHostConnection> ConnectAsync(SshServer server, string user = "root", bool sudo = false) =>
        SshHostConnection.ConnectAsync(new MailHostSessionOptions
        {
            HostName = server.Address,
            Port = server.Port,
            UserName = user,
            KeyFilePaths = [ClientKey],
            KnownHostsPath = KnownHosts(server.KnownHostsLine("ed25519")),
            Sudo = sudo,
        });

    /// <summary>Stops both servers and removes the client directory.</summary>
    public void Dispose()
    {
        First.Dispose();
        Second.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
