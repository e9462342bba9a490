// The IMAP load tool of tests/bench/Invoke-ImapBenchmark.ps1, compiled by Add-Type against the module's MailKit: N clients
// at once, each logging in and doing the same rounds of SELECT, FETCH of headers and of bodies, STORE, SEARCH, APPEND and
// EXPUNGE against one server; every command's latency is recorded by its name.
using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Diagnostics;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

public static class ImapLoad
{
    public static ConcurrentDictionary<string, ConcurrentBag<double>> Run(string host, int port, string user, string password, int clients, int rounds, int seed)
    {
        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        void Time(string name, Action action)
        {
            var watch = Stopwatch.StartNew();
            action();
            latencies.GetOrAdd(name, _ => new ConcurrentBag<double>()).Add(watch.Elapsed.TotalMilliseconds);
        }
        void Failed(Exception e) =>
            latencies.GetOrAdd("ERROR " + e.GetType().Name + ": " + e.Message.Split('\n')[0], _ => new ConcurrentBag<double>()).Add(0);
        var threads = Enumerable.Range(0, clients).Select(c => new Thread(() =>
        {
            var random = new Random(seed + c);
            try
            {
            using var client = new ImapClient { Timeout = 30000 };
            Time("LOGIN", () =>
            {
                client.Connect(host, port, SecureSocketOptions.None);
                client.Authenticate(user, password);
            });
            var inbox = client.Inbox;
            for (var round = 0; round < rounds; round++)
            {
                try
                {
                Time("SELECT", () => inbox.Open(FolderAccess.ReadWrite));
                var count = inbox.Count;
                var first = random.Next(0, Math.Max(1, count - 20));
                Time("FETCH headers", () => inbox.Fetch(first, Math.Min(count - 1, first + 19), MessageSummaryItems.Envelope | MessageSummaryItems.Flags | MessageSummaryItems.UniqueId));
                var index = random.Next(0, count);
                Time("FETCH body", () => inbox.GetMessage(index));
                Time("STORE", () => inbox.AddFlags(index, MessageFlags.Flagged, true));
                Time("SEARCH", () => inbox.Search(SearchQuery.SubjectContains("load " + random.Next(0, 100))));
                UniqueId? appended = null;
                var message = new MimeMessage();
                message.From.Add(MailboxAddress.Parse("load@bench.test"));
                message.Subject = "appended by client " + c;
                message.Body = new TextPart("plain") { Text = new string('x', 2000) };
                Time("APPEND", () => appended = inbox.Append(message, MessageFlags.Seen));
                Time("EXPUNGE", () =>
                {
                    var uid = appended ?? inbox.Search(SearchQuery.SubjectContains("appended by client " + c)).Last();
                    inbox.AddFlags(uid, MessageFlags.Deleted, true);
                    inbox.Expunge(new[] { uid });
                });
                }
                catch (Exception e) when (e is ImapCommandException or MessageNotFoundException)
                {
                    // A message another client expunged between this client's SELECT and its FETCH (RFC 2180 4.1): both
                    // servers skip it with OK [EXPUNGEISSUED], and MailKit throws for the missing message. Counted; the
                    // next round selects again, as a mail program would resynchronise.
                    Failed(e);
                }
            }
            client.Disconnect(true);
            }
            catch (Exception e)
            {
                // A failed client is counted, not fatal: the report shows the errors next to the latencies.
                Failed(e);
            }
        })).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        return latencies;
    }
}

// The IDLE phase of the benchmark: N raw-socket IMAP connections (a few KiB each on this side), spread over several
// 127.0.0.x source addresses, each logged in with SELECT INBOX and IDLE, then watched for being closed and for an
// untagged EXISTS after IDLE began.
public sealed class ImapIdleFleet : IDisposable
{
    private sealed class Connection
    {
        public System.Net.Sockets.Socket Socket;
        public System.Net.Sockets.NetworkStream Stream;
        public readonly System.Collections.Generic.List<byte> Pending = new System.Collections.Generic.List<byte>();
        public volatile bool Closed;
        public volatile bool GotExists;
    }

    private readonly System.Collections.Generic.List<Connection> _connections = new System.Collections.Generic.List<Connection>();
    private readonly System.Collections.Generic.List<System.Threading.Tasks.Task> _watchers = new System.Collections.Generic.List<System.Threading.Tasks.Task>();
    public readonly ConcurrentBag<string> Errors = new ConcurrentBag<string>();

    public int Idling { get { lock (_connections) return _connections.Count; } }
    public int Connected { get { lock (_connections) return _connections.Count(c => !c.Closed); } }
    public int WithExists { get { lock (_connections) return _connections.Count(c => c.GotExists); } }

    /// <summary>Opens <paramref name="count"/> IDLE connections, <paramref name="parallel"/> logins at a time; failures go to Errors.</summary>
    public static ImapIdleFleet Open(string host, int port, string user, string password, int count, string[] sourceAddresses, int parallel)
    {
        var fleet = new ImapIdleFleet();
        using var gate = new SemaphoreSlim(parallel);
        var opening = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                var c = await OpenOneAsync(host, port, user, password, sourceAddresses[i % sourceAddresses.Length]).ConfigureAwait(false);
                lock (fleet._connections)
                {
                    fleet._connections.Add(c);
                    fleet._watchers.Add(WatchAsync(c));
                }
            }
            catch (Exception e)
            {
                fleet.Errors.Add(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        System.Threading.Tasks.Task.WaitAll(opening);
        return fleet;
    }

    /// <summary>Waits until every open connection has seen EXISTS or closed, at most <paramref name="timeout"/>.</summary>
    public void WaitForExists(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_connections)
            {
                if (_connections.All(c => c.GotExists || c.Closed)) return;
            }
            Thread.Sleep(200);
        }
    }

    private static async System.Threading.Tasks.Task<Connection> OpenOneAsync(string host, int port, string user, string password, string source)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(source), 0));
            await socket.ConnectAsync(System.Net.IPAddress.Parse(host), port).ConfigureAwait(false);
            var c = new Connection { Socket = socket, Stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: true) };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var greeting = await ReadLineAsync(c, timeout.Token).ConfigureAwait(false);
            if (!greeting.StartsWith("* OK")) throw new InvalidOperationException("greeting: " + greeting);
            await CommandAsync(c, "a LOGIN \"" + user + "\" \"" + password + "\"", "a", timeout.Token).ConfigureAwait(false);
            await CommandAsync(c, "b SELECT INBOX", "b", timeout.Token).ConfigureAwait(false);
            await c.Stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("c IDLE\r\n"), timeout.Token).ConfigureAwait(false);
            while (true)
            {
                var line = await ReadLineAsync(c, timeout.Token).ConfigureAwait(false);
                if (line.StartsWith("+")) return c;
                if (line.StartsWith("c ")) throw new InvalidOperationException("IDLE: " + line);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async System.Threading.Tasks.Task CommandAsync(Connection c, string command, string tag, CancellationToken cancellationToken)
    {
        await c.Stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var line = await ReadLineAsync(c, cancellationToken).ConfigureAwait(false);
            if (!line.StartsWith(tag + " ")) continue;
            if (!line.StartsWith(tag + " OK")) throw new InvalidOperationException(command.Split(' ')[1] + ": " + line);
            return;
        }
    }

    private static async System.Threading.Tasks.Task<string> ReadLineAsync(Connection c, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        while (true)
        {
            var lf = c.Pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = System.Text.Encoding.ASCII.GetString(c.Pending.GetRange(0, lf).ToArray()).TrimEnd('\r');
                c.Pending.RemoveRange(0, lf + 1);
                return line;
            }
            var read = await c.Stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new System.IO.EndOfStreamException("closed by the server");
            c.Pending.AddRange(buffer.Take(read));
        }
    }

    // Reads until the server closes the connection; notes an untagged EXISTS (the delivery) as it comes.
    private static async System.Threading.Tasks.Task WatchAsync(Connection c)
    {
        try
        {
            while (true)
            {
                var line = await ReadLineAsync(c, CancellationToken.None).ConfigureAwait(false);
                if (line.StartsWith("* ") && line.EndsWith(" EXISTS")) c.GotExists = true;
                if (line.StartsWith("* BYE")) break;
            }
        }
        catch (Exception)
        {
            // Closed or reset: counted as not connected.
        }
        c.Closed = true;
    }

    public void Dispose()
    {
        lock (_connections)
        {
            foreach (var c in _connections) c.Stream.Dispose();
        }
    }
}
