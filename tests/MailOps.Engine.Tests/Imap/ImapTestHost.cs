using System.Net;
using System.Text;
using MailOps.Engine.Auth;
using MailOps.Engine.Listeners;
using MailOps.Engine.Logging;
using MailOps.Engine.Imap;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.Smtp;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Imap;

/// <summary>
/// An IMAP and an IMAPS listener on free 127.0.0.1 ports over a Maildir store in a temporary directory (owned by Dovecot's
/// mail account, so a real Dovecot can serve the same files), users alice and bob with password "secret".
/// </summary>
public sealed class ImapTestHost : IAsyncDisposable
{
    private readonly ImapListener _plain;
    private readonly ImapListener _tls;
    private readonly MailLog _log;

    /// <summary>The passwords every host accepts.</summary>
    public static PasswordList Users { get; } = new(new Dictionary<string, string> { ["alice"] = "secret", ["bob"] = "secret" });

    /// <summary>The temporary directory holding the Maildirs and the log.</summary>
    public string Directory { get; }
    /// <summary>The store the listeners serve.</summary>
    public MaildirStore Store { get; }
    /// <summary>The IMAP port (STARTTLS offered).</summary>
    public int Port => _plain.LocalEndPoint.Port;
    /// <summary>The IMAPS port.</summary>
    public int TlsPort => _tls.LocalEndPoint.Port;
    /// <summary>The failed-login counter the listeners share.</summary>
    public LoginFailures Failures { get; }
    /// <summary>The log file with the Dovecot-format lines.</summary>
    public string LogPath => Path.Combine(Directory, "mail.log");

    private ImapTestHost(string directory, ImapSessionOptions session, LoginFailures failures, string? mailRoot, int maxConnectionsPerClient)
    {
        Directory = directory;
        Store = new MaildirStore(mailRoot ?? Path.Combine(directory, "%n", "Maildir"), new MaildirOptions { Owner = DovecotServer.MailOwner });
        Failures = failures;
        _log = new MailLog(LogPath, "mx.example.test");
        var log = new ImapSessionLog(_log);
        var endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        _plain = new ImapListener(new ImapListenerOptions { EndPoint = endPoint, Session = session, MaxConnectionsPerClient = maxConnectionsPerClient }, Store, Users, failures, log);
        _tls = new ImapListener(new ImapListenerOptions { EndPoint = endPoint, Session = session, ImplicitTls = true, MaxConnectionsPerClient = maxConnectionsPerClient }, Store, Users, failures, log);
        _plain.Start();
        _tls.Start();
    }

    /// <summary>Starts a host; <paramref name="plaintextOnLoopback"/> allows logins without TLS from 127.0.0.1.</summary>
    /// <param name="plaintextOnLoopback">Allow LOGIN and AUTHENTICATE before TLS on loopback.</param>
    /// <param name="maxLoginFailures">Failed logins per address before it is refused.</param>
    /// <param name="mailRoot">The store's location template; a temporary one by default.</param>
    /// <param name="idleTimeout">The logged-in idle timeout.</param>
    /// <param name="loginTimeout">The idle timeout before login.</param>
    /// <param name="maxConnectionsPerClient">Sessions at once from one address, per listener.</param>
    public static ImapTestHost Start(bool plaintextOnLoopback = true, int maxLoginFailures = 100, string? mailRoot = null, TimeSpan? idleTimeout = null,
        TimeSpan? loginTimeout = null, int maxConnectionsPerClient = 20)
    {
        var session = new ImapSessionOptions
        {
            Certificate = TestCertificate.Localhost,
            AllowPlaintextAuthOnLoopback = plaintextOnLoopback,
            IdleTimeout = idleTimeout ?? TimeSpan.FromMinutes(10),
            LoginTimeout = loginTimeout ?? TimeSpan.FromSeconds(60),
        };
        return new ImapTestHost(DovecotServer.NewWorkDirectory("mailops-imap"), session, new LoginFailures(maxLoginFailures, TimeSpan.FromMinutes(15), TimeSpan.Zero), mailRoot, maxConnectionsPerClient);
    }

    /// <summary>Delivers <paramref name="text"/> (LF line ends become CRLF) to <paramref name="user"/>'s INBOX.</summary>
    public async Task<StoredMessage> DeliverAsync(string user, string text) =>
        await Store.Open(user).Inbox.DeliverAsync(new MemoryStream(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"))));

    /// <summary>The files of <paramref name="user"/>'s INBOX in new/ and cur/.</summary>
    public IReadOnlyList<string> MessageFiles(string user)
    {
        var root = Store.PathFor(user);
        return new[] { "new", "cur" }.Select(d => Path.Combine(root, d)).Where(System.IO.Directory.Exists)
            .SelectMany(System.IO.Directory.GetFiles).ToList();
    }

    /// <summary>The log so far.</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The log once it matches <paramref name="pattern"/> (a session writes its last line after the client has gone); fails after 20 s.</summary>
    public string WaitForLog(string pattern)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var log = ReadLog();
            if (System.Text.RegularExpressions.Regex.IsMatch(log, pattern) || DateTime.UtcNow > deadline) return log;
            Thread.Sleep(50);
        }
    }

    /// <summary>Writes the test certificate as PEM (for curl's --cacert and Python's cafile); returns the path.</summary>
    public string WriteCertificatePem()
    {
        var path = Path.Combine(Directory, "cert.pem");
        File.WriteAllText(path, TestCertificate.Localhost.ExportCertificatePem());
        return path;
    }

    /// <summary>Stops both listeners and removes the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await _plain.DisposeAsync();
        await _tls.DisposeAsync();
        _log.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
