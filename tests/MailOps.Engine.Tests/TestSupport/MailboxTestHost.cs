using System.Text;
using MailOps.Engine.Auth;
using MailOps.Engine.Listeners;
using MailOps.Engine.Logging;
using MailOps.Engine.Store;
using MailOps.Engine.Tests.Smtp;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>
/// What the POP3 and IMAP test hosts share: a Maildir store in a temporary directory (owned by Dovecot's mail account, so
/// a real Dovecot can serve the same files), users alice and bob with password "secret", a log, and a plain and an
/// implicit-TLS listener on free 127.0.0.1 ports.
/// </summary>
public abstract class MailboxTestHost : IAsyncDisposable
{
    private MailListener _plain = null!;
    private MailListener _tls = null!;

    /// <summary>The passwords every host accepts.</summary>
    public static PasswordList Users { get; } = new(new Dictionary<string, string> { ["alice"] = "secret", ["bob"] = "secret" });

    /// <summary>The temporary directory holding the Maildirs and the log.</summary>
    public string Directory { get; }
    /// <summary>The store the listeners serve.</summary>
    public MaildirStore Store { get; }
    /// <summary>The failed-login counter the listeners share.</summary>
    public LoginFailures Failures { get; }
    /// <summary>The log file with the Dovecot-format lines.</summary>
    public string LogPath => Path.Combine(Directory, "mail.log");
    /// <summary>The server log the listeners write to.</summary>
    protected MailLog Log { get; }
    /// <summary>The plain port (STARTTLS/STLS offered).</summary>
    public int Port => _plain.LocalEndPoint.Port;
    /// <summary>The implicit-TLS port.</summary>
    public int TlsPort => _tls.LocalEndPoint.Port;

    /// <summary>A host over a new directory named after <paramref name="prefix"/>.</summary>
    protected MailboxTestHost(string prefix, int maxLoginFailures, string? mailRoot)
    {
        Directory = DovecotServer.NewWorkDirectory(prefix);
        Store = new MaildirStore(mailRoot ?? Path.Combine(Directory, "%n", "Maildir"), new MaildirOptions { Owner = DovecotServer.MailOwner });
        Failures = new LoginFailures(maxLoginFailures, TimeSpan.FromMinutes(15), TimeSpan.Zero);
        Log = new MailLog(LogPath, "mx.example.test");
    }

    /// <summary>Starts the two listeners the derived host made.</summary>
    protected void Listen(MailListener plain, MailListener tls)
    {
        _plain = plain;
        _tls = tls;
        _plain.Start();
        _tls.Start();
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
        Log.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
