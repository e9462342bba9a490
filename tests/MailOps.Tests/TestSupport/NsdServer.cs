using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsClient;

namespace MailOps.Tests.TestSupport;

/// <summary>A real authoritative DNS server (Debian's nsd) on 127.0.0.1 and a free port, serving the given zones.</summary>
public sealed class NsdServer : IDisposable
{
    private readonly Process _process;

    /// <summary>The directory holding the config and zone files.</summary>
    public string Directory { get; }
    /// <summary>The UDP/TCP port nsd listens on.</summary>
    public int Port { get; }
    /// <summary>"127.0.0.1:port", as -NameServer takes it.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    private NsdServer(string directory, int port, Process process)
    {
        Directory = directory;
        Port = port;
        _process = process;
    }

    /// <summary>The fixture zone files under tests/fixtures/dns (zone name = file name without ".zone").</summary>
    public static IReadOnlyDictionary<string, string> FixtureZones()
    {
        var dir = Path.Combine(RepositoryRoot(), "tests", "fixtures", "dns");
        return System.IO.Directory.GetFiles(dir, "*.zone")
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f), File.ReadAllText);
    }

    /// <summary>Walks up from the test assembly to the directory holding MailOps.sln.</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MailOps.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("MailOps.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts nsd with <paramref name="zones"/> (zone name to zone file text) and waits until it answers.</summary>
    public static NsdServer Start(IReadOnlyDictionary<string, string> zones)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mailops-nsd-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        var port = FreePort();
        var conf = new System.Text.StringBuilder();
        conf.AppendLine($"""
            server:
              ip-address: 127.0.0.1@{port}
              port: {port}
              database: ""
              username: ""
              chroot: ""
              pidfile: "{dir}/nsd.pid"
              zonesdir: "{dir}"
              zonelistfile: "{dir}/zone.list"
              xfrdfile: "{dir}/xfrd.state"
              xfrdir: "{dir}"
              logfile: "{dir}/nsd.log"
              verbosity: 1
              server-count: 1
              hide-version: yes
            remote-control:
              control-enable: no
            """);
        foreach (var (name, text) in zones)
        {
            File.WriteAllText(Path.Combine(dir, name + ".zone"), text);
            conf.AppendLine($"zone:\n  name: \"{name}\"\n  zonefile: \"{dir}/{name}.zone\"");
        }
        var confPath = Path.Combine(dir, "nsd.conf");
        File.WriteAllText(confPath, conf.ToString());
        var checkconf = Process.Start(new ProcessStartInfo("nsd-checkconf", confPath) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        checkconf.WaitForExit();
        if (checkconf.ExitCode != 0) throw new InvalidOperationException("nsd-checkconf: " + checkconf.StandardError.ReadToEnd() + checkconf.StandardOutput.ReadToEnd());
        var psi = new ProcessStartInfo("nsd", ["-d", "-c", confPath]) { RedirectStandardError = true, RedirectStandardOutput = true };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("nsd did not start");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new NsdServer(dir, port, process);
        server.WaitUntilServing(zones.Keys.FirstOrDefault());
        return server;
    }

    private void WaitUntilServing(string? zone)
    {
        var client = new LookupClient(new LookupClientOptions(new IPEndPoint(IPAddress.Loopback, Port)) { UseCache = false, Timeout = TimeSpan.FromMilliseconds(300), Retries = 0 });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("nsd exited: " + ReadLog());
            try
            {
                // Any answer, even SERVFAIL for a deliberately broken zone, means nsd has loaded its zones and serves.
                client.Query(zone ?? ".", QueryType.SOA);
                return;
            }
            catch (DnsResponseException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException("nsd did not answer within 20 s: " + ReadLog());
    }

    private string ReadLog()
    {
        var log = Path.Combine(Directory, "nsd.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    /// <summary>A port free for both TCP and UDP on 127.0.0.1 (see <see cref="TestPorts"/>).</summary>
    public static int FreePort() => TestPorts.Next();

    /// <inheritdoc />
    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(true); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
