using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>
/// A real Debian Postfix on 127.0.0.1 and a free port, with its own config, queue and data directories and
/// <c>maillog_file</c> logging, delivering one virtual domain into Maildirs under its directory.
/// </summary>
public sealed class PostfixInstance : IDisposable
{
    /// <summary>The directory holding conf/, queue/, data/, mail/ and maillog.</summary>
    public string Directory { get; }
    /// <summary>The SMTP port on 127.0.0.1.</summary>
    public int Port { get; }
    /// <summary>Postfix's own log file.</summary>
    public string LogFile => Path.Combine(Directory, "maillog");
    /// <summary>myhostname of this instance.</summary>
    public string Hostname { get; }
    /// <summary>The implicit-TLS (smtps, smtpd_tls_wrappermode) port on 127.0.0.1, 0 when not served.</summary>
    public int SmtpsPort { get; }
    /// <summary>Where the virtual mailboxes live: mail/&lt;domain&gt;/&lt;mailbox&gt;/ (Maildirs).</summary>
    public string MailDirectory => Path.Combine(Directory, "mail");

    private PostfixInstance(string directory, int port, string hostname, int smtpsPort = 0)
    {
        Directory = directory;
        Port = port;
        Hostname = hostname;
        SmtpsPort = smtpsPort;
    }

    /// <summary>Starts Postfix accepting mail for <paramref name="domain"/> and its <paramref name="mailboxes"/> (local parts).</summary>
    public static PostfixInstance Start(string hostname, string domain, params string[] mailboxes) => Start(hostname, domain, mailboxes, "");

    /// <summary>
    /// As <see cref="Start(string, string, string[])"/>, with <paramref name="extraMainCf"/> lines that replace (by parameter
    /// name) or add to the main.cf above, <paramref name="confFiles"/> (name to content) written into the config
    /// directory first ("{conf}" in both stands for that directory), and, when <paramref name="smtps"/>, an implicit-TLS
    /// smtpd on <see cref="SmtpsPort"/>.
    /// </summary>
    public static PostfixInstance Start(string hostname, string domain, IReadOnlyList<string> mailboxes, string extraMainCf,
        IReadOnlyDictionary<string, string>? confFiles = null, bool smtps = false)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("mailops-postfix-").FullName;
        Run("chmod", $"755 {dir}");
        var conf = Path.Combine(dir, "conf");
        foreach (var sub in new[] { "conf", "queue", "data", "mail" }) System.IO.Directory.CreateDirectory(Path.Combine(dir, sub));
        Run("chown", $"postfix:postfix {Path.Combine(dir, "data")} {Path.Combine(dir, "mail")}");
        var port = FreePort();
        var (uid, gid) = (Id("-u"), Id("-g"));
        var mainCf = $"""
            compatibility_level = 3.6
            queue_directory = {dir}/queue
            data_directory = {dir}/data
            maillog_file = {dir}/maillog
            maillog_file_prefixes = {dir}
            myhostname = {hostname}
            mydestination =
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            virtual_mailbox_domains = {domain}
            virtual_mailbox_maps = texthash:{conf}/vmailbox
            virtual_mailbox_base = {dir}/mail
            virtual_uid_maps = static:{uid}
            virtual_gid_maps = static:{gid}
            alias_maps =
            alias_database =
            smtpd_banner = $myhostname ESMTP

            """;
        var extra = extraMainCf.Replace("{conf}", conf).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        static string Key(string line) => line.Split('=')[0].Trim();
        var replaced = extra.Select(Key).ToHashSet();
        File.WriteAllLines(Path.Combine(conf, "main.cf"), mainCf.Split('\n').Where(l => !replaced.Contains(Key(l))).Concat(extra));
        foreach (var (name, content) in confFiles ?? new Dictionary<string, string>()) File.WriteAllText(Path.Combine(conf, name), content.Replace("{conf}", conf));
        File.WriteAllLines(Path.Combine(conf, "vmailbox"), mailboxes.Select(m => $"{m}@{domain} {domain}/{m}/"));
        // Debian's master.cf with smtpd moved to our port and every service out of the chroot (no /var/spool/postfix copy of /etc).
        var master = File.ReadAllLines("/etc/postfix/master.cf")
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l =>
            {
                var f = l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (char.IsWhiteSpace(l[0]) || f.Length < 8) return l;
                if (f[0] == "smtp" && f[1] == "inet") f[0] = $"127.0.0.1:{port}";
                f[4] = "n";
                return string.Join(' ', f);
            });
        var smtpsPort = smtps ? FreePort() : 0;
        // RFC 8314 3.3: smtps is smtpd with TLS from the first byte.
        if (smtps) master = master.Append($"127.0.0.1:{smtpsPort} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes");
        File.WriteAllLines(Path.Combine(conf, "master.cf"), master);
        var instance = new PostfixInstance(dir, port, hostname, smtpsPort);
        var (code, output) = Run("postfix", $"-c {conf} start");
        if (code != 0) throw new InvalidOperationException($"postfix start failed ({code}): {output} {instance.ReadLog()}");
        // Not a probe connection: that would put its own connect/disconnect lines in the log the tests read.
        instance.WaitForLog("daemon started");
        return instance;
    }

    /// <summary>Postfix's log so far.</summary>
    public string ReadLog()
    {
        if (!File.Exists(LogFile)) return "";
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Waits until a log line contains <paramref name="text"/>; fails the test with the log after 20 s.</summary>
    public string WaitForLog(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var log = ReadLog();
            if (log.Contains(text)) return log;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"'{text}' not in Postfix's log:\n{ReadLog()}");
    }

    /// <summary>Stops Postfix and removes its directory.</summary>
    public void Dispose()
    {
        Run("postfix", $"-c {Path.Combine(Directory, "conf")} stop");
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort() => MailOps.Tests.TestSupport.TestPorts.Next();

    private static string Id(string flag) => Run("id", $"{flag} postfix").Output.Trim();

    private static (int Code, string Output) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
