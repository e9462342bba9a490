using System.Diagnostics;
using MailOps.Dkim;
using MailOps.Dns;
using MailOps.Engine.Authentication;
using MailOps.Engine.Configuration;
using MailOps.Engine.Listeners;
using MailOps.Engine.Queue;
using MailOps.Engine.Tests.Smtp;
using MailOps.Tests.TestSupport;

namespace MailOps.Engine.Tests.Authentication;

/// <summary>
/// The end-of-DATA authentication stage on a real listener, with SPF, DKIM and DMARC records served by a real nsd on
/// 127.0.0.1: received mail gets Authentication-Results and DMARC's disposition; sent mail gets DKIM signatures that
/// Debian's python3-dkim verifies.
/// </summary>
public sealed class AuthenticationStageTests : IDisposable
{
    private const string Zone = "authres.test";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mailops-authres-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly DkimKey _rsa;
    private readonly DkimKey _ed;
    private readonly NsdServer _nsd;

    public AuthenticationStageTests()
    {
        _rsa = DkimKeyGenerator.Create("signed." + Zone, "rsa", DkimKeyAlgorithm.Rsa2048, _dir);
        _ed = DkimKeyGenerator.Create("signed." + Zone, "ed", DkimKeyAlgorithm.Ed25519, _dir);
        _nsd = NsdServer.Start(new Dictionary<string, string>
        {
            [Zone] = $"""
                $ORIGIN {Zone}.
                $TTL 300
                @ SOA ns.{Zone}. hostmaster.{Zone}. 1 3600 600 86400 300
                @ NS ns
                ns A 127.0.0.1
                ; 127.0.0.1 may send for pass, not for forged; both publish p=reject
                pass TXT "v=spf1 ip4:127.0.0.1 -all"
                _dmarc.pass TXT "v=DMARC1; p=reject"
                forged TXT "v=spf1 ip4:192.0.2.1 -all"
                _dmarc.forged TXT "v=DMARC1; p=reject"
                quarantined TXT "v=spf1 -all"
                _dmarc.quarantined TXT "v=DMARC1; p=quarantine"
                ; the envelope is a bounce service's own domain, the author signs: DKIM aligns, SPF does not
                bounces TXT "v=spf1 ip4:127.0.0.1 -all"
                signed TXT "v=spf1 -all"
                _dmarc.signed TXT "v=DMARC1; p=reject; adkim=s"
                {_rsa.ZoneFileRecord}
                {_ed.ZoneFileRecord}
                """,
        });
    }

    public void Dispose()
    {
        _nsd.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private TestServer Start(bool trustLoopback, DmarcRejectAction action = DmarcRejectAction.Reject)
    {
        var stage = new AuthenticationStage("mx.local.test", new MailDnsResolver([_nsd.Endpoint], TimeSpan.FromSeconds(2)),
            [
                new MailDkimKeyConfig(_rsa.Domain, _rsa.Selector, _rsa.PrivateKeyPath, "rsa"),
                new MailDkimKeyConfig(_ed.Domain, _ed.Selector, _ed.PrivateKeyPath, "ed25519"),
            ], action);
        return TestServer.Start(SmtpListenerKind.Mta, session: o => o with { Authentication = stage }, myNetworks: trustLoopback ? ["127.0.0.0/8"] : []);
    }

    private static async Task<string> SendAsync(TestServer server, string mailFrom, string from, string to = "alice@local.test", string? body = null, string helo = "client.test")
    {
        await using var client = await RawSmtpClient.ConnectAsync(server.Port);
        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO " + helo));
        Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{mailFrom}>"));
        Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{to}>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        return await client.CommandAsync(
            $"From: Someone <{from}>\r\nTo: <{to}>\r\nSubject: authentication\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@test>\r\n\r\n{body ?? "Hello,\r\nthis is the body.\r\n"}.");
    }

    private static string Header(string content, string name)
    {
        using var message = MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)));
        return string.Join("\n", message.Headers.Where(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value.Trim()));
    }

    [Fact]
    public async Task Mail_from_an_authorised_host_gets_authentication_results_with_spf_and_dmarc_pass_above_the_received_header()
    {
        await using var server = Start(trustLoopback: false);
        Assert.StartsWith("250 2.0.0 Ok: queued as", await SendAsync(server, "alice@pass." + Zone, "alice@pass." + Zone));
        var content = server.Content(Assert.Single(await server.IncomingAsync()).QueueId);
        Assert.StartsWith("Authentication-Results: mx.local.test;\r\n\tspf=pass smtp.mailfrom=alice@pass.authres.test;\r\n\tdkim=none;\r\n\tdmarc=pass (p=reject) header.from=pass.authres.test\r\nReceived: from client.test", content);
    }

    [Fact]
    public async Task Forged_mail_under_p_reject_is_refused_with_550_5_7_1_and_nothing_is_queued()
    {
        await using var server = Start(trustLoopback: false);
        var reply = await SendAsync(server, "ceo@forged." + Zone, "ceo@forged." + Zone);
        Assert.Equal("550 5.7.1 Email rejected per DMARC policy for forged.authres.test", reply);
        Assert.Empty(server.Queue.List(QueueState.Incoming));
        Assert.Empty(Directory.GetFiles(server.Queue.DirectoryOf(QueueState.Incoming)));
    }

    [Fact]
    public async Task With_dmarcRejectAction_quarantine_forged_mail_goes_to_the_hold_queue_with_its_verdict()
    {
        await using var server = Start(trustLoopback: false, DmarcRejectAction.Quarantine);
        Assert.StartsWith("250 ", await SendAsync(server, "ceo@forged." + Zone, "ceo@forged." + Zone));
        Assert.Empty(server.Queue.List(QueueState.Incoming));
        var id = Assert.Single(server.Queue.List(QueueState.Hold));
        using var reader = new StreamReader(server.Queue.OpenContent(QueueState.Hold, id));
        Assert.Contains("spf=fail smtp.mailfrom=ceo@forged.authres.test;\r\n\tdkim=none;\r\n\tdmarc=fail (p=reject) header.from=forged.authres.test", reader.ReadToEnd());
    }

    [Fact]
    public async Task A_p_quarantine_failure_is_accepted_into_hold()
    {
        await using var server = Start(trustLoopback: false);
        Assert.StartsWith("250 ", await SendAsync(server, "x@quarantined." + Zone, "x@quarantined." + Zone));
        Assert.Single(server.Queue.List(QueueState.Hold));
    }

    [Fact]
    public async Task The_null_sender_is_checked_by_its_helo_name()
    {
        await using var server = Start(trustLoopback: false);
        Assert.StartsWith("250 ", await SendAsync(server, "", "mailer-daemon@pass." + Zone, helo: "pass." + Zone));
        var content = server.Content(Assert.Single(await server.IncomingAsync()).QueueId);
        Assert.Contains("spf=pass smtp.helo=pass.authres.test;\r\n\tdkim=none;\r\n\tdmarc=pass (p=reject) header.from=pass.authres.test", content);
    }

    [Fact]
    public async Task Mail_from_mynetworks_is_signed_with_both_keys_and_python_dkim_verifies_each_signature()
    {
        await using var sender = Start(trustLoopback: true);
        Assert.StartsWith("250 ", await SendAsync(sender, "bounce-1@bounces." + Zone, "alice@signed." + Zone, "bob@example.net",
            "Hello Bob,\r\n  lines with  spaces   and trailing blanks   \r\n\r\n\r\n"));
        var content = sender.Content(Assert.Single(await sender.IncomingAsync()).QueueId);
        Assert.StartsWith("DKIM-Signature: ", content);
        Assert.DoesNotContain("Authentication-Results", content);
        var signatures = Header(content, "DKIM-Signature").Split('\n');
        Assert.Equal(2, signatures.Length);
        Assert.Contains("a=rsa-sha256", signatures[0]);
        Assert.Contains("a=ed25519-sha256", signatures[1]);
        Assert.All(signatures, s => Assert.Contains("c=relaxed/relaxed", s));

        var path = Path.Combine(_dir, "signed.eml");
        File.WriteAllText(path, content);
        var (code, verified, output) = PythonDkim.Verify(path, _nsd.Port);
        Assert.True(code == 0, "python3-dkim: " + output);
        Assert.Equal([true, true], verified.Select(v => v.Passed));
        // One changed body byte must fail both, or the check proves nothing.
        File.WriteAllText(path, content.Replace("Hello Bob", "Hello Eve"));
        var tampered = PythonDkim.Verify(path, _nsd.Port);
        Assert.True(tampered.ExitCode == 1, "python3-dkim: " + tampered.Output);
        Assert.Equal([false, false], tampered.Signatures.Select(v => v.Passed));

        // And our own verifier, on the MTA side of another server, agrees: DMARC passes on strictly aligned DKIM alone.
        await using var receiver = Start(trustLoopback: false);
        await using (var client = await RawSmtpClient.ConnectAndHelloAsync(receiver.Port))
        {
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<bounce-1@bounces.authres.test>"));
            Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<alice@local.test>"));
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            var relayed = content[(content.IndexOf("\r\nReceived: ", StringComparison.Ordinal) + 2)..];
            var signed = content[..content.IndexOf("\r\nReceived: ", StringComparison.Ordinal)] + "\r\n" + relayed;
            Assert.StartsWith("250 ", await client.CommandAsync(signed.TrimEnd('\r', '\n').Replace("\r\n.", "\r\n..") + "\r\n."));
        }
        var received = receiver.Content(Assert.Single(await receiver.IncomingAsync()).QueueId);
        Assert.Contains("spf=pass smtp.mailfrom=bounce-1@bounces.authres.test;\r\n\tdkim=pass header.d=signed.authres.test header.s=rsa;\r\n\tdkim=pass header.d=signed.authres.test header.s=ed;\r\n\tdmarc=pass (p=reject) header.from=signed.authres.test", received);
    }

}
