using MailOps.Engine.Platform;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Logs;
using MailOps.Tests.TestSupport;

namespace MailOps.Engine.Tests.Logging;

/// <summary>
/// Two real Postfix instances (mx1 relaying far.test to mx2), Postfix's smtp-sink refusing every RCPT, and a relay that
/// refuses connections, and Dovecot's LMTP for lmtp.test, driven by swaks and smtp-source: Get-MailLogSummary's counts on
/// the logs Postfix wrote equal Debian's pflogsumm's, and messages are traced from mx1 to their mailbox on mx2 and in Dovecot.
/// </summary>
public sealed class MailLogSummaryPflogsummTests
{
    private static async Task Swaks(int port, string helo, string from, string to, params string[] extra)
    {
        var result = await ExternalProgram.RunAsync("swaks", ["--server", $"127.0.0.1:{port}", "--helo", helo, "--from", from, "--to", to, .. extra]);
        // swaks exits non-zero for refused recipients, which several of these sends are meant to be.
        Assert.True(result.Output.Contains("<-  220 "), result.Output + result.Error);
    }

    [Fact]
    public async Task Counts_on_logs_written_by_real_postfix_runs_equal_pflogsumms_and_a_relayed_message_is_traced_to_the_next_hop()
    {
        using var sink = SmtpSink.Start("127.0.0.1", FreePort(), "-f", "RCPT");
        var mailRoot = DovecotServer.NewWorkDirectory("mailops-lmtp");
        Posix.Chown(mailRoot, DovecotServer.MailOwner.Uid, DovecotServer.MailOwner.Gid);
        var lmtpPort = FreePort();
        using var dovecot = DovecotServer.Start([new DovecotUser("carol@lmtp.test", "secret", "maildir:" + Path.Combine(mailRoot, "carol"))],
            extraConfig: $"protocols = imap lmtp\nservice lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {lmtpPort}\n  }}\n}}\n");
        using var mx2 = PostfixInstance.Start("mx2.far.test", "far.test", "zoe");
        using var mx1 = PostfixInstance.Start("mx1.example.test", "example.test", ["alice", "bob"],
            """
            mynetworks = 127.0.0.2/32
            relay_domains = far.test sink.test dead.test lmtp.test
            transport_maps = texthash:{conf}/transport
            header_checks = regexp:{conf}/header_checks
            smtpd_recipient_restrictions = warn_if_reject reject_non_fqdn_helo_hostname, permit_mynetworks, reject_unauth_destination
            """,
            new Dictionary<string, string>
            {
                ["transport"] = $"far.test smtp:[127.0.0.1]:{mx2.Port}\nsink.test smtp:[127.0.0.1]:{sink.Port}\ndead.test smtp:[127.0.0.1]:1\nlmtp.test lmtp:inet:127.0.0.1:{lmtpPort}\n" +
                    // The bounce notices to the senders' domain stay here: no DNS query leaves the machine.
                    "example.org discard:\n",
                ["header_checks"] = "/^Subject: hold-me/ HOLD\n/^Subject: discard-me/ DISCARD\n/^Subject: reject-me/ REJECT no thanks\n",
            });
        const string Helo = "client.example.net";
        await Swaks(mx1.Port, Helo, "sender@example.net", "alice@example.test");
        await Swaks(mx1.Port, Helo, "Sender@Example.NET", "alice@example.test,bob@example.test");
        await Swaks(mx1.Port, Helo, "other@example.org", "zoe@far.test", "--header", "Message-Id: <relayed@example.org>");
        await Swaks(mx1.Port, Helo, "other@example.org", "carol@lmtp.test", "--header", "Message-Id: <lmtp@example.org>");
        await Swaks(mx1.Port, Helo, "other@example.org", "ghost@far.test");      // mx2 refuses at RCPT: bounced
        await Swaks(mx1.Port, Helo, "other@example.org", "x@sink.test");         // smtp-sink 5xx: bounced
        await Swaks(mx1.Port, Helo, "other@example.org", "y@dead.test");         // connection refused: deferred
        await Swaks(mx1.Port, Helo, "other@example.org", "nobody@example.test"); // unknown user: rejected
        await Swaks(mx1.Port, Helo, "other@example.org", "someone@elsewhere.org"); // relay denied: rejected
        foreach (var subject in new[] { "hold-me", "discard-me", "reject-me" })
            await Swaks(mx1.Port, Helo, "other@example.org", "alice@example.test", "--header", $"Subject: {subject}");
        await Swaks(mx1.Port, "nofqdn", "w@example.org", "bob@example.test");  // reject_warning, then delivered
        var source = await ExternalProgram.RunAsync("/usr/sbin/smtp-source", ["-m", "20", "-s", "2", "-l", "3000", "-f", "load@example.net", "-t", "bob@example.test", $"127.0.0.1:{mx1.Port}"]);
        Assert.True(source.ExitCode == 0, source.Output + source.Error);

        // 5 swaks deliveries + the reject_warning one + 20 from smtp-source sent; 2 bounced; 1 deferred.
        WaitFor(mx1, log => Count(log, "status=sent") >= 26 && Count(log, "status=bounced") == 2 && log.Contains("to=<y@dead.test>"));
        WaitFor(mx2, log => log.Contains("to=<zoe@far.test>, relay=virtual"));

        // Both read the same snapshot: Postfix keeps logging (retries of the deferred mail) while the test reads.
        var snapshots = new[] { mx1, mx2 }.Select(instance =>
        {
            var copy = Path.Combine(instance.Directory, "maillog.snapshot");
            File.WriteAllText(copy, instance.ReadLog());
            return copy;
        }).ToArray();
        foreach (var snapshot in snapshots)
            PflogsummTotals.AssertEqual(PflogsummTotals.Summarize(snapshot), PflogsummTotals.Report(snapshot));
        var mx1Summary = PflogsummTotals.Summarize(snapshots[0]);
        // Reject warnings: swaks's "nofqdn" and smtp-source's 20 sessions, which greet as "localhost".
        Assert.Equal((2L, 3L, 1L, 1L, 21L), (mx1Summary.Bounced, mx1Summary.Rejected, mx1Summary.Held, mx1Summary.Discarded, mx1Summary.RejectWarnings));
        Assert.True(mx1Summary.Deferred >= 1);
        Assert.Equal(("load@example.net", 20L), (mx1Summary.Senders[0].Name, mx1Summary.Senders[0].Count));

        var reader = new MailLogReader(LocalMailLogSource.Instance);
        var files = snapshots.SelectMany(LocalMailLogSource.Instance.Resolve).ToList();
        var trace = Assert.Single(new MailMessageTracer { MessageId = id => id == "<relayed@example.org>" }.Trace(() => reader.Read(files)));
        Assert.Equal(["mx1", "mx2"], trace.Hops.Select(h => h.HostName));
        var zoe = Assert.Single(trace.Recipients);
        Assert.Equal(("zoe@far.test", MailLogDeliveryStatus.Sent, "mx2", "virtual"), (zoe.Recipient, zoe.Status, zoe.HostName!, zoe.Relay!));

        // Into Dovecot: Postfix's lmtp line on mx1, then Dovecot's "saved mail to INBOX" with the same Message-ID.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!dovecot.ReadLog().Contains("saved mail to INBOX") && DateTime.UtcNow < deadline) Thread.Sleep(100);
        var withDovecot = files.Concat(LocalMailLogSource.Instance.Resolve(dovecot.LogPath)).ToList();
        var lmtp = Assert.Single(new MailMessageTracer { Recipient = r => r == "carol@lmtp.test" }.Trace(() => reader.Read(withDovecot)));
        Assert.Equal("<lmtp@example.org>", lmtp.MessageId);
        Assert.Equal(["lmtp"], lmtp.Hops[^1].Programs);
        var carol = Assert.Single(lmtp.Recipients);
        Assert.Equal(("INBOX", "dovecot", MailLogDeliveryStatus.Sent), (carol.Mailbox!, carol.Relay!, carol.Status));
        Directory.Delete(mailRoot, true);
    }

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    private static void WaitFor(PostfixInstance instance, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done(instance.ReadLog()))
        {
            Assert.True(DateTime.UtcNow < deadline, "Postfix did not log it in 30 s:\n" + instance.ReadLog());
            Thread.Sleep(100);
        }
    }

    private static int FreePort() => MailOps.Tests.TestSupport.TestPorts.Next();
}
