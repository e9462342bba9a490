using System.Diagnostics;
using System.Net;
using DnsClient;

namespace MailOps.Tests.TestSupport;

/// <summary>
/// A real validating resolver (Debian's unbound) on 127.0.0.1 and a free port that sends every question to one nsd
/// (stub zones) and nowhere else: the root is refused locally, so nothing leaves 127.0.0.0/8.
/// </summary>
public sealed class UnboundServer : IDisposable
{
    private readonly Process _process;

    /// <summary>The directory holding the config, trust anchors and log.</summary>
    public string Directory { get; }
    /// <summary>The UDP/TCP port unbound listens on.</summary>
    public int Port { get; }
    /// <summary>"127.0.0.1:port", as -NameServer takes it.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    private UnboundServer(string directory, int port, Process process)
    {
        Directory = directory;
        Port = port;
        _process = process;
    }

    /// <summary>Starts unbound resolving <paramref name="zones"/> from <paramref name="nsd"/>, validating with the DS lines in <paramref name="trustAnchors"/>.</summary>
    /// <param name="nsd">The authoritative server of every zone.</param>
    /// <param name="zones">The zones to resolve (stub zones); everything else is refused.</param>
    /// <param name="trustAnchors">DS (or DNSKEY) records in zone-file form, one per line; zones without one are insecure.</param>
    public static UnboundServer Start(NsdServer nsd, IEnumerable<string> zones, IEnumerable<string> trustAnchors)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mailops-unbound-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        var port = NsdServer.FreePort();
        var anchors = Path.Combine(dir, "trust-anchors");
        File.WriteAllLines(anchors, trustAnchors);
        var conf = new System.Text.StringBuilder();
        conf.AppendLine($"""
            server:
              interface: 127.0.0.1@{port}
              port: {port}
              outgoing-interface: 127.0.0.1
              do-ip6: no
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "{dir}"
              pidfile: "{dir}/unbound.pid"
              logfile: "{dir}/unbound.log"
              use-syslog: no
              verbosity: 1
              val-log-level: 2
              num-threads: 1
              access-control: 127.0.0.0/8 allow
              do-not-query-localhost: no
              module-config: "validator iterator"
              val-permissive-mode: no
              harden-dnssec-stripped: yes
              trust-anchor-file: "{anchors}"
              qname-minimisation: no
              prefetch: no
              # Never the Internet: without stub zones every name falls under the refused root.
              local-zone: "." refuse
            """);
        foreach (var zone in zones)
        {
            // A transparent local zone beats the refused root and unbound's built-in "test." zone for this name.
            conf.AppendLine($"  local-zone: \"{zone}.\" transparent");
        }
        conf.AppendLine("remote-control:\n  control-enable: no");
        // The root too goes to nsd (which refuses it), so that priming and DS lookups above the zones never reach a root server.
        foreach (var zone in zones.Append(""))
            conf.AppendLine($"stub-zone:\n  name: \"{zone}.\"\n  stub-addr: 127.0.0.1@{nsd.Port}");
        var confPath = Path.Combine(dir, "unbound.conf");
        File.WriteAllText(confPath, conf.ToString());

        var check = Process.Start(new ProcessStartInfo("unbound-checkconf", confPath) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var checkOut = check.StandardOutput.ReadToEnd() + check.StandardError.ReadToEnd();
        check.WaitForExit();
        if (check.ExitCode != 0) throw new InvalidOperationException("unbound-checkconf: " + checkOut);
        var psi = new ProcessStartInfo("unbound", ["-d", "-c", confPath]) { RedirectStandardError = true, RedirectStandardOutput = true };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("unbound did not start");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new UnboundServer(dir, port, process);
        server.WaitUntilServing(zones.First());
        return server;
    }

    private void WaitUntilServing(string zone)
    {
        var client = new LookupClient(new LookupClientOptions(new IPEndPoint(IPAddress.Loopback, Port)) { UseCache = false, Timeout = TimeSpan.FromMilliseconds(300), Retries = 0 });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("unbound exited: " + Log());
            try
            {
                client.Query(zone, QueryType.SOA);
                return;
            }
            catch (DnsResponseException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException("unbound did not answer within 20 s: " + Log());
    }

    /// <summary>unbound's log, for failure messages.</summary>
    public string Log()
    {
        var log = Path.Combine(Directory, "unbound.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(true); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}

/// <summary>A zone signed with Debian's ldnsutils (ldns-keygen, ldns-signzone) at test time.</summary>
/// <param name="Name">The zone name.</param>
/// <param name="Text">The signed zone file.</param>
/// <param name="Ds">The DS record of its key, as a trust anchor line.</param>
public sealed record SignedZone(string Name, string Text, string Ds)
{
    /// <summary>Signs <paramref name="text"/> with a fresh ECDSA P-256 key; <paramref name="expired"/> signs with signatures that ended in 2020.</summary>
    public static SignedZone Sign(string name, string text, bool expired = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mailops-sign-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        try
        {
            var key = Run(dir, "ldns-keygen", "-a", "ECDSAP256SHA256", "-k", name).Trim();
            var zoneFile = Path.Combine(dir, name + ".zone");
            File.WriteAllText(zoneFile, text);
            var args = new List<string>();
            if (expired) args.AddRange(["-i", "20200101000000", "-e", "20200201000000"]);
            args.AddRange([zoneFile, key]);
            Run(dir, "ldns-signzone", [.. args]);
            return new SignedZone(name, File.ReadAllText(zoneFile + ".signed"), File.ReadAllText(Path.Combine(dir, key + ".ds")).Trim());
        }
        finally
        {
            try { System.IO.Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static string Run(string dir, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException(file + " did not start");
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}{output}");
        return output;
    }
}
