using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailOps.Engine.Auth;
using MailOps.Engine.Configuration;
using MailOps.Engine.Queue;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Server;

/// <summary>
/// One test's mail site: a temporary data directory with users and aliases for <see cref="Domain"/>, and the embedded
/// default configuration moved onto free 127.0.0.1 ports. Removed on dispose.
/// </summary>
public sealed class TestMailSite : IDisposable
{
    /// <summary>The local domain.</summary>
    public const string Domain = "example.test";
    /// <summary>The greeting name.</summary>
    public const string Hostname = "mx.example.test";

    /// <summary>Creates the directory (0755, so that Dovecot's mail account can pass through it) and picks the ports.</summary>
    public TestMailSite()
    {
        DataPath = DovecotServer.NewWorkDirectory("mailops-server");
        MtaPort = FreePort();
        SubmissionPort = FreePort();
        SubmissionTlsPort = FreePort();
        Pop3Port = FreePort();
        Pop3TlsPort = FreePort();
        ImapPort = FreePort();
        ImapTlsPort = FreePort();
    }

    /// <summary>Where queue, mail, log and TLS files live.</summary>
    public string DataPath { get; }
    /// <summary>The MTA (port 25 style) listener's port.</summary>
    public int MtaPort { get; }
    /// <summary>The submission (STARTTLS + AUTH) listener's port.</summary>
    public int SubmissionPort { get; }
    /// <summary>The implicit TLS submission listener's port.</summary>
    public int SubmissionTlsPort { get; }
    /// <summary>The POP3 listener's port (with <c>Config(pop3: true)</c>).</summary>
    public int Pop3Port { get; }
    /// <summary>The POP3S listener's port (with <c>Config(pop3: true)</c>).</summary>
    public int Pop3TlsPort { get; }
    /// <summary>The IMAP listener's port (with <c>Config(imap: true)</c>).</summary>
    public int ImapPort { get; }
    /// <summary>The IMAPS listener's port (with <c>Config(imap: true)</c>).</summary>
    public int ImapTlsPort { get; }

    /// <summary>
    /// The embedded default for <see cref="DataPath"/> with <see cref="Domain"/> as its domain and the listeners on this
    /// site's ports; <paramref name="myNetworks"/> replaces mynetworks when given.
    /// </summary>
    /// <remarks>
    /// Remote delivery asks <paramref name="nameServers"/>, by default a port where no DNS server answers, so that mail
    /// for other domains stays deferred (a DNS failure) whatever the machine's resolver knows.
    /// </remarks>
    public MailServerConfig Config(IReadOnlyList<IPNetwork>? myNetworks = null, string? catchAll = null, MailOwner? mailOwner = null,
        IReadOnlyList<string>? nameServers = null, int remoteSmtpPort = 25, MailRelayHost? relayHost = null, System.Net.NetworkCredential? relayHostCredentials = null,
        MailQueueConfig? queue = null, IReadOnlyDictionary<string, MailTlsPolicy>? tlsPolicies = null,
        MailLimitsConfig? limits = null, IReadOnlyList<string>? blocklists = null, bool allowPlaintextAuthOnLoopback = false, bool pop3 = false,
        bool imap = false, IReadOnlyList<MailDkimKeyConfig>? dkim = null)
    {
        var d = MailServerConfig.EmbeddedDefault(DataPath, Hostname);
        // POP3 only when a test reads mail with it: every port probed free may be taken again before the server binds it.
        MailListenerConfig[] readers = pop3
            ? [new(MailListenerKind.Pop3, new IPEndPoint(IPAddress.Loopback, Pop3Port)), new(MailListenerKind.Pop3Tls, new IPEndPoint(IPAddress.Loopback, Pop3TlsPort))]
            : [];
        if (imap) readers = [.. readers, new(MailListenerKind.Imap, new IPEndPoint(IPAddress.Loopback, ImapPort)), new(MailListenerKind.ImapTls, new IPEndPoint(IPAddress.Loopback, ImapTlsPort))];
        return new MailServerConfig
        {
            Hostname = d.Hostname,
            Domains = [Domain],
            Listeners =
            [
                new(MailListenerKind.Mta, new IPEndPoint(IPAddress.Loopback, MtaPort)),
                new(MailListenerKind.Submission, new IPEndPoint(IPAddress.Loopback, SubmissionPort)),
                new(MailListenerKind.SubmissionTls, new IPEndPoint(IPAddress.Loopback, SubmissionTlsPort)),
                .. readers,
            ],
            Tls = d.Tls,
            MyNetworks = myNetworks ?? d.MyNetworks,
            Limits = limits ?? d.Limits,
            AllowPlaintextAuthOnLoopback = allowPlaintextAuthOnLoopback,
            UsersFile = d.UsersFile,
            AliasesFile = d.AliasesFile,
            CatchAll = catchAll,
            MailOwner = mailOwner,
            DataPath = d.DataPath,
            LogPath = d.LogPath,
            // MX lookups and inbound checks ask the test's DNS, or a closed loopback port: never the machine's resolver.
            Dns = new MailDnsConfig(nameServers ?? ["127.0.0.1:9"]) { Blocklists = blocklists ?? [] },
            RemoteSmtpPort = remoteSmtpPort,
            RelayHost = relayHost,
            RelayHostCredentials = relayHostCredentials,
            Queue = queue ?? new MailQueueConfig(),
            TlsPolicies = tlsPolicies ?? new Dictionary<string, MailTlsPolicy>(),
            Dkim = dkim ?? [],
        };
    }

    /// <summary>Adds <c>local@example.test</c> with <paramref name="password"/> to the users file (few rounds: tests log in often).</summary>
    public void AddUser(string local, string password = "secret")
    {
        var users = PasswdFile.Load(Path.Combine(DataPath, "users.passwd"));
        users.Add(new MailUser { Address = $"{local}@{Domain}", PasswordHash = PasswordScheme.Hash(password, rounds: 1000) });
        users.Save();
    }

    /// <summary>Writes the virtual(5) aliases file.</summary>
    public void WriteAliases(string text) => File.WriteAllText(Path.Combine(DataPath, "virtual"), text);

    /// <summary>The directory holding a user's new mail.</summary>
    public string NewMailOf(string local) => Path.Combine(DataPath, "mail", Domain, local, "Maildir", "new");

    /// <summary>The user's messages in new/ and cur/.</summary>
    public string[] MessagesOf(string local)
    {
        var maildir = Path.Combine(DataPath, "mail", Domain, local, "Maildir");
        return new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(Directory.Exists)
            .SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The queue on disk.</summary>
    public MailQueue Queue => new(Path.Combine(DataPath, "queue"));

    /// <summary>Queue IDs in any state.</summary>
    public string[] Queued()
    {
        var queue = Queue;
        return Enum.GetValues<QueueState>().SelectMany(queue.List).ToArray();
    }

    /// <summary>The mail log so far.</summary>
    public string Log()
    {
        var path = Path.Combine(DataPath, "logs", "mail.log");
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds)) Assert.Fail($"timed out after {seconds} s waiting until {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>A port free on 127.0.0.1 that no other fixture of this run gets (see <see cref="MailOps.Tests.TestSupport.TestPorts"/>).</summary>
    public static int FreePort() => MailOps.Tests.TestSupport.TestPorts.Next();

    /// <summary>Removes the data directory.</summary>
    public void Dispose()
    {
        try { Directory.Delete(DataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
