using System.Net;
using MailOps.Dkim;
using MailOps.Dns;
using MailOps.Engine.Configuration;
using MailOps.Engine.Tests.Server;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Probes;
using MailOps.Tests.TestSupport;

namespace MailOps.Engine.Tests.Probes;

/// <summary>Test-MailFlow's round trip: sent through Postfix or our engine into a Maildir that Dovecot serves, fetched back over IMAP and POP3.</summary>
public sealed class MailFlowTests
{
    [Fact]
    public async Task A_message_sent_through_postfix_comes_back_over_imap_and_pop3_with_its_received_chain_and_is_deleted()
    {
        using var ca = await OpensslCertificateAuthority.CreateAsync();
        var certificate = await ca.IssueAsync("mx.flow.test", ipAddress: "127.0.0.1");
        var owner = DovecotServer.MailOwner;
        using var postfix = PostfixInstance.Start("mx.flow.test", "flow.test", ["alice"], $"""
            smtpd_tls_cert_file = {certificate.CertificatePath}
            smtpd_tls_key_file = {certificate.KeyPath}
            smtpd_tls_security_level = may
            smtpd_tls_received_header = yes
            virtual_uid_maps = static:{owner.Uid}
            virtual_gid_maps = static:{owner.Gid}
            virtual_minimum_uid = 1
            """);
        // virtual(8) creates the Maildir as Dovecot's mail account.
        File.SetUnixFileMode(postfix.MailDirectory, (UnixFileMode)0b1_111_111_111);
        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "flow-pw", $"maildir:{postfix.MailDirectory}/flow.test/alice")], pop3: true, extraConfig: $"""
            ssl = yes
            ssl_cert = <{certificate.CertificatePath}
            ssl_key = <{certificate.KeyPath}
            """);

        MailFlowOptions Flow(MailFetchProtocol protocol) => new()
        {
            SmtpServer = "127.0.0.1", SmtpPort = postfix.Port, From = "sender@elsewhere.test", To = "alice@flow.test",
            MailboxServer = "127.0.0.1", MailboxPort = protocol == MailFetchProtocol.Imap ? dovecot.ImapPort : dovecot.Pop3Port, Protocol = protocol,
            MailboxCredential = new NetworkCredential("alice", "flow-pw"), TrustedRoots = ca.TrustStore, Timeout = TimeSpan.FromSeconds(30),
        };

        foreach (var protocol in new[] { MailFetchProtocol.Imap, MailFetchProtocol.Pop3 })
        {
            var r = await MailFlowTest.RunAsync(Flow(protocol));
            Assert.True(r.Succeeded, $"{protocol}: {r.Error}");
            Assert.Equal(protocol, r.Protocol);
            Assert.NotNull(r.QueueId);
            Assert.Equal(MailTlsMode.StartTls, r.Send!.TlsMode);
            Assert.True(r.Send.Tls!.ChainValid && r.Send.Tls.HostnameMatch);
            Assert.True(r.Latency > TimeSpan.Zero);
            Assert.True(r.ReceivedAt >= r.SentAt);
            var hop = Assert.Single(r.ReceivedChain);
            Assert.Equal(1, r.Hops);
            Assert.Contains("by mx.flow.test (Postfix) with ESMTPS id " + r.QueueId, hop);
            Assert.Contains("(using TLSv1.3", hop);
            Assert.Empty(r.AuthenticationResults);
            Assert.False(r.DkimSignaturePresent);
            Assert.Null(r.DkimValid);
            Assert.Equal(32, r.Marker.Length);
        }
        // Each round trip deleted its message: the Maildir is empty again.
        var maildir = Path.Combine(postfix.MailDirectory, "flow.test", "alice");
        Assert.Empty(Directory.GetFiles(Path.Combine(maildir, "new")).Concat(Directory.GetFiles(Path.Combine(maildir, "cur"))));
    }

    [Fact]
    public async Task Mail_signed_by_the_bundled_server_comes_back_with_a_valid_dkim_signature_and_unsigned_inbound_mail_with_authentication_results()
    {
        using var site = new TestMailSite();
        site.AddUser("alice", "alice-pw");
        var keys = Path.Combine(site.DataPath, "dkim");
        var key = DkimKeyGenerator.Create(TestMailSite.Domain, "flow", DkimKeyAlgorithm.Ed25519, keys);
        using var nsd = NsdServer.Start(new Dictionary<string, string>
        {
            [TestMailSite.Domain] = $"""
                $ORIGIN {TestMailSite.Domain}.
                $TTL 300
                @ SOA ns.{TestMailSite.Domain}. hostmaster.{TestMailSite.Domain}. 1 3600 600 86400 300
                @ NS ns
                ns A 127.0.0.1
                {key.ZoneFileRecord}
                """,
        });
        var resolver = new MailDnsResolver([nsd.Endpoint], TimeSpan.FromSeconds(2));
        var owner = DovecotServer.MailOwner;
        var mailOwner = new MailOwner("mail", owner.Uid, owner.Gid);
        var maildir = Path.Combine(site.DataPath, "mail", TestMailSite.Domain, "alice", "Maildir");
        Directory.CreateDirectory(maildir);
        await ExternalProgram.RunAsync("chown", ["-R", $"{owner.Uid}:{owner.Gid}", Path.Combine(site.DataPath, "mail")]);
        using var dovecot = DovecotServer.Start([new DovecotUser("alice@example.test", "alice-pw", "maildir:" + maildir)]);
        MailFlowOptions Flow() => new()
        {
            SmtpServer = "127.0.0.1", SmtpPort = site.MtaPort, From = "bob@example.test", To = "alice@example.test", SkipCertificateCheck = true,
            MailboxServer = "127.0.0.1", MailboxPort = dovecot.ImapPort, MailboxTls = MailTlsMode.None,
            MailboxCredential = new NetworkCredential("alice@example.test", "alice-pw"), Resolver = resolver, Timeout = TimeSpan.FromSeconds(30),
        };

        // Loopback is in mynetworks: trusted mail is signed with the domain's key on its way through.
        await using (var server = await MailServer.StartAsync(site.Config(mailOwner: mailOwner, nameServers: [nsd.Endpoint],
            dkim: [new MailDkimKeyConfig(key.Domain, key.Selector, key.PrivateKeyPath, "ed25519")]), "flow-signed"))
        {
            var signed = await MailFlowTest.RunAsync(Flow());
            Assert.True(signed.Succeeded, signed.Error);
            Assert.True(signed.DkimSignaturePresent);
            Assert.True(signed.DkimValid);
            var verdict = Assert.Single(signed.Dkim);
            Assert.Equal(new MailOps.Authentication.DkimVerdict("pass", "example.test", "flow", "ed25519-sha256", null), verdict);
            Assert.Contains($"by {TestMailSite.Hostname} (MailOps) with ESMTPS id {signed.QueueId}", Assert.Single(signed.ReceivedChain));
        }

        // From outside mynetworks the same server checks the message instead and says so in Authentication-Results.
        await using (var server = await MailServer.StartAsync(site.Config(myNetworks: [IPNetwork.Parse("10.0.0.0/8")], mailOwner: mailOwner,
            nameServers: [nsd.Endpoint]), "flow-inbound"))
        {
            var inbound = await MailFlowTest.RunAsync(Flow());
            Assert.True(inbound.Succeeded, inbound.Error);
            Assert.False(inbound.DkimSignaturePresent);
            var results = Assert.Single(inbound.AuthenticationResults);
            Assert.StartsWith($"{TestMailSite.Hostname}; spf=none smtp.mailfrom=bob@example.test; dkim=none; dmarc=none", results);
        }
    }
}
