using System.Net;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Tests.TestSupport;
using MimeKit;

namespace MailOps.Engine.Tests.Logging;

/// <summary>
/// A real server driven by real clients (swaks, Python's smtplib, MailKit, a raw socket), then Debian's pflogsumm
/// reads the server's log: its totals must be what the clients did.
/// </summary>
public sealed class MailServerLogPflogsummTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-serverlog-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Pflogsumm_on_the_servers_own_log_counts_the_messages_received_delivered_and_rejected_by_real_clients()
    {
        // No mynetworks: only authenticated clients may relay, so an unauthenticated relay attempt is denied.
        await using var server = await EmbeddedMailServer.StartAsync(_dir, "example.test", [], "secret", "alice", "erin");
        int mta = server.Port("SMTP"), submission = server.Port("Submission");

        // 1. swaks: bob@example.net -> alice, delivered.
        var swaks = await ExternalProgram.RunAsync("swaks",
            ["--server", $"127.0.0.1:{mta}", "--helo", "swaks.example.net", "--from", "bob@example.net", "--to", "alice@example.test"]);
        Assert.True(swaks.ExitCode == 0, swaks.Output + swaks.Error);

        // 2. smtplib: carol@example.org -> alice (accepted) and nobody (550 5.1.1, rejected inside the transaction).
        var python = await ExternalProgram.RunAsync("/usr/bin/python3", ["-c", """
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
            s.ehlo('python.example.org')
            print(s.sendmail('carol@example.org', ['alice@example.test', 'nobody@example.test'], 'Subject: from python\r\n\r\nhello\r\n'))
            s.quit()
            """, mta.ToString()]);
        Assert.True(python.ExitCode == 0, python.Output + python.Error);
        Assert.Contains("550", python.Output);

        // 3. MailKit: alice submits over STARTTLS with AUTH PLAIN to erin, delivered.
        using (var client = new SmtpClient())
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync("127.0.0.1", submission, SecureSocketOptions.StartTls);
            client.AuthenticationMechanisms.Remove("LOGIN");
            await client.AuthenticateAsync("alice@example.test", "secret");
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("alice@example.test"));
            message.To.Add(MailboxAddress.Parse("erin@example.test"));
            message.Subject = "from MailKit";
            message.MessageId = "mailkit-1@example.test";
            message.Body = new TextPart("plain") { Text = "Hi Erin." };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }

        // 4. swaks: relaying to another domain without AUTH is denied (554 5.7.1), and so is an unknown local user.
        var relay = await ExternalProgram.RunAsync("swaks",
            ["--server", $"127.0.0.1:{mta}", "--helo", "spam.example.com", "--from", "dave@example.com", "--to", "someone@far-away.example"]);
        Assert.Contains("554 5.7.1", relay.Output);
        var unknown = await ExternalProgram.RunAsync("swaks",
            ["--server", $"127.0.0.1:{mta}", "--helo", "spam.example.com", "--from", "dave@example.com", "--to", "ghost@example.test"]);
        Assert.Contains("550 5.1.1", unknown.Output);

        // 5. swaks with a wrong password: 535, and the warning fail2ban looks for.
        var badAuth = await ExternalProgram.RunAsync("swaks",
            ["--server", $"127.0.0.1:{submission}", "--tls", "--auth", "LOGIN", "--auth-user", "alice@example.test", "--auth-password", "wrong",
             "--from", "alice@example.test", "--to", "erin@example.test"]);
        Assert.Contains("535 5.7.8", badAuth.Output);

        // 6. A client that goes away after MAIL FROM.
        using (var dropped = await SmtpDialogue.ConnectAsync("127.0.0.1", mta))
        {
            await dropped.SendAsync("EHLO gone.example.net");
            await dropped.SendAsync("MAIL FROM:<gone@example.net>");
        }

        var log = server.WaitForLog(l => Regex.Matches(l, "status=sent").Count == 3 && Regex.Matches(l, ": removed").Count == 3
            && l.Contains("lost connection after MAIL from unknown[127.0.0.1]") && Regex.Matches(l, "disconnect from").Count == 7, "three deliveries and seven sessions");
        await server.StopAsync(TimeSpan.FromSeconds(5));

        var report = Pflogsumm.Report(server.LogPath);
        Assert.Equal(3, Pflogsumm.GrandTotal(report, "received"));
        Assert.Equal(3, Pflogsumm.GrandTotal(report, "delivered"));
        Assert.Equal(3, Pflogsumm.GrandTotal(report, "rejected"));
        Assert.Equal(0, Pflogsumm.GrandTotal(report, "deferred"));
        Assert.Equal(0, Pflogsumm.GrandTotal(report, "bounced"));
        Assert.Equal(
            new Dictionary<string, int> { ["alice@example.test"] = 1, ["bob@example.net"] = 1, ["carol@example.org"] = 1 }.OrderBy(p => p.Key),
            Pflogsumm.Table(report, "Senders by message count").OrderBy(p => p.Key));
        Assert.Equal(
            new Dictionary<string, int> { ["alice@example.test"] = 2, ["erin@example.test"] = 1 }.OrderBy(p => p.Key),
            Pflogsumm.Table(report, "Recipients by message count").OrderBy(p => p.Key));
        Assert.Matches(@"User unknown in virtual mailbox table \(total: 2\)", report);
        Assert.Matches(@"Relay access denied \(total: 1\)", report);
        Assert.Contains("SASL LOGIN authentication failed", report);

        // The lines behind those numbers, as Postfix's smtpd and cleanup write them.
        Assert.Matches(@"mailops/smtpd\[\d+\]: \w+: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.test\n", log);
        Assert.Matches(@"mailops/cleanup\[\d+\]: \w+: message-id=<mailkit-1@example\.test>\n", log);
        Assert.Matches(@"mailops/cleanup\[\d+\]: \w+: message-id=<>\n", log); // smtplib's message has no Message-ID
        Assert.Matches(@"mailops/smtpd\[\d+\]: \w+: reject: RCPT from unknown\[127\.0\.0\.1\]: 550 5\.1\.1 <nobody@example\.test>: Recipient address rejected: User unknown in virtual mailbox table; from=<carol@example\.org> to=<nobody@example\.test> proto=ESMTP helo=<python\.example\.org>\n", log);
        Assert.Contains("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 <someone@far-away.example>: Relay access denied; from=<dave@example.com> to=<someone@far-away.example> proto=ESMTP helo=<spam.example.com>\n", log);
        Assert.Contains("warning: unknown[127.0.0.1]: SASL LOGIN authentication failed: authentication failure\n", log);
        Assert.Contains("disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6\n", log);
        Assert.Contains("disconnect from unknown[127.0.0.1] ehlo=1 mail=1 commands=2\n", log);

        // Get-MailLogSummary reads the server's own log with the same counts as pflogsumm.
        PflogsummTotals.AssertEqual(PflogsummTotals.Summarize(server.LogPath), PflogsummTotals.Report(server.LogPath, "mailops"));
    }
}
