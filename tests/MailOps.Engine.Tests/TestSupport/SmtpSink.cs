using System.Diagnostics;
using System.Net.Sockets;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>
/// Postfix's smtp-sink(1) on one loopback address and port: a real SMTP server that accepts (or, with its flags,
/// refuses) mail and dumps every transaction it accepts into <see cref="DumpDirectory"/>.
/// </summary>
public sealed class SmtpSink : IDisposable
{
    private readonly Process _process;

    private SmtpSink(Process process, string address, int port, string dumpDirectory)
    {
        _process = process;
        Address = address;
        Port = port;
        DumpDirectory = dumpDirectory;
    }

    /// <summary>The address it listens on, e.g. 127.0.0.2.</summary>
    public string Address { get; }
    /// <summary>The port.</summary>
    public int Port { get; }
    /// <summary>One file per accepted transaction: X-Mail-Args, X-Rcpt-Args, then the message.</summary>
    public string DumpDirectory { get; }

    /// <summary>
    /// Starts smtp-sink on <paramref name="address"/>:<paramref name="port"/> with extra <paramref name="flags"/>
    /// (e.g. "-r", "RCPT" for 4xx to every RCPT, "-f", "RCPT" for 5xx, "-w", "10" to wait before answering DATA).
    /// </summary>
    public static SmtpSink Start(string address, int port, params string[] flags)
    {
        var dump = Directory.CreateTempSubdirectory("mailops-sink-").FullName;
        var start = new ProcessStartInfo("smtp-sink") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-u", "root", "-d", dump + "/" }.Concat(flags).Concat([$"{address}:{port}", "100"])) start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var sink = new SmtpSink(process, address, port, dump);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(address, port);
                return sink;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited) { Thread.Sleep(50); }
        }
    }

    /// <summary>The transactions dumped so far.</summary>
    public string[] Messages() => Directory.GetFiles(DumpDirectory).Select(File.ReadAllText).ToArray();

    /// <summary>Stops smtp-sink and removes the dumps.</summary>
    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(DumpDirectory, true); } catch (IOException) { }
    }
}
