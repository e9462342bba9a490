using System.Net;
using MailOps.Engine.Configuration;
using MailOps.Engine.Listeners;
using MailOps.Engine.Policy;
using MailOps.Engine.Queue;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>
/// The entry point of the test assembly: with "smtp-host &lt;queue-root&gt;" it runs an SMTP listener in its own
/// process and prints its port; with "mail-server &lt;config-file&gt;" it runs the whole <see cref="MailServer"/> from
/// that file and prints "ready"; either way a test can kill it with SIGKILL. Under the test runner it is never called.
/// </summary>
public static class SmtpTestHost
{
    /// <summary>Runs the host until killed.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "mail-server")
        {
            var server = MailServer.StartAsync(MailServerConfigFile.Load(args[1]), "test").GetAwaiter().GetResult();
            Console.WriteLine($"ready {string.Join(' ', server.Endpoints.Select(e => e.EndPoint))}");
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
            return 0;
        }

        if (args.Length != 2 || args[0] != "smtp-host")
        {
            Console.Error.WriteLine("usage: MailOps.Engine.Tests smtp-host <queue-root> | mail-server <config-file>");
            return 2;
        }

        var queue = new MailQueue(args[1]);
        var policy = RelayPolicy.FromCidrs(DictionaryRecipients.Standard, []);
        var options = new SmtpListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        var listener = new SmtpListener(options, policy, queue);
        listener.Start();
        Console.WriteLine($"port {listener.LocalEndPoint.Port}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }
}
