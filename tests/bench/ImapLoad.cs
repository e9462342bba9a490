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
            client.Disconnect(true);
            }
            catch (Exception e)
            {
                // A failed client is counted, not fatal: the report shows the errors next to the latencies.
                latencies.GetOrAdd("ERROR " + e.GetType().Name + ": " + e.Message.Split('\n')[0], _ => new ConcurrentBag<double>()).Add(0);
            }
        })).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        return latencies;
    }
}
