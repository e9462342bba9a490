using System.Net;
using System.Net.Sockets;
using MailOps.Engine.Auth;
using MailOps.Engine.Configuration;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>
/// A real <see cref="MailServer"/> on the embedded default configuration under a temporary directory, with its
/// listeners moved to free 127.0.0.1 ports, one local domain and users with hashed passwords.
/// </summary>
static class EmbeddedMailServer
{
    /// <summary>
    /// Starts the server for <paramref name="domain"/>; every user in <paramref name="users"/> (local part) gets the
    /// password <paramref name="password"/>. <paramref name="myNetworks"/> are the clients that may relay without AUTH.
    /// </summary>
    public static async Task<MailServer> StartAsync(string dataPath, string domain, IReadOnlyList<IPNetwork> myNetworks, string password, params string[] users)
    {
        var defaults = MailServerConfig.EmbeddedDefault(dataPath, "mx.example.test");
        Directory.CreateDirectory(defaults.DataPath);
        var passwd = PasswdFile.Load(defaults.UsersFile);
        foreach (var user in users)
            passwd.Add(new MailUser { Address = $"{user}@{domain}", PasswordHash = PasswordScheme.Hash(password) });
        passwd.Save();
        File.WriteAllText(defaults.AliasesFile, "");
        var config = new MailServerConfig
        {
            Hostname = defaults.Hostname,
            Domains = [domain],
            Listeners =
            [
                new(MailListenerKind.Mta, new IPEndPoint(IPAddress.Loopback, FreePort())),
                new(MailListenerKind.Submission, new IPEndPoint(IPAddress.Loopback, FreePort())),
            ],
            Tls = defaults.Tls,
            MyNetworks = myNetworks,
            UsersFile = defaults.UsersFile,
            AliasesFile = defaults.AliasesFile,
            // Inbound SPF/DKIM/DMARC checks ask a closed loopback port: a quick temperror, never the machine's resolver.
            Dns = new MailDnsConfig(["127.0.0.1:9"]),
            DataPath = defaults.DataPath,
            LogPath = defaults.LogPath,
        };
        return await MailServer.StartAsync(config, $"test-{Guid.NewGuid():N}");
    }

    /// <summary>The port of the listener for <paramref name="protocol"/> ("SMTP" or "Submission").</summary>
    public static int Port(this MailServer server, string protocol) => server.Endpoints.Single(e => e.Protocol == protocol).EndPoint.Port;

    /// <summary>The server's log so far.</summary>
    public static string ReadLog(this MailServer server)
    {
        if (!File.Exists(server.LogPath)) return "";
        using var stream = new FileStream(server.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Waits until <paramref name="done"/> holds for the log; fails the test with the log after 20 s.</summary>
    public static string WaitForLog(this MailServer server, Func<string, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var log = server.ReadLog();
            if (done(log)) return log;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"{what} not in the server's log:\n{server.ReadLog()}");
    }

    private static int FreePort() => MailOps.Tests.TestSupport.TestPorts.Next();
}
