using System.Net;
using System.Security.Authentication;
using System.Text;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Probes;

namespace MailOps.Engine.Tests.Probes;

/// <summary>Invoke-ImapProbe's and Invoke-Pop3Probe's library against Debian's Dovecot with TLS from an openssl test CA and a passwd-file user.</summary>
public sealed class MailAccessProbeDovecotTests : IAsyncLifetime
{
    private const string Host = "imap.probe.test";
    private OpensslCertificateAuthority _ca = null!;
    private DovecotServer _dovecot = null!;
    private string _mail = null!;

    public async Task InitializeAsync()
    {
        _ca = await OpensslCertificateAuthority.CreateAsync();
        var certificate = await _ca.IssueAsync(Host, days: 20);
        _mail = DovecotServer.NewWorkDirectory("mailops-probe-mail");
        await ExternalProgram.RunAsync("chown", [$"{DovecotServer.MailOwner.Uid}:{DovecotServer.MailOwner.Gid}", _mail]);
        _dovecot = DovecotServer.Start([new DovecotUser("alice", "Imap-Secret", $"maildir:{_mail}/alice/Maildir")], pop3: true, extraConfig: $"""
            ssl = yes
            ssl_cert = <{certificate.CertificatePath}
            ssl_key = <{certificate.KeyPath}
            """);
        _dovecot.DeliverWithDovecotLda("alice", Encoding.ASCII.GetBytes("From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n"));
        _dovecot.DeliverWithDovecotLda("alice", Encoding.ASCII.GetBytes("From: a@example.org\r\nSubject: two\r\n\r\nsecond\r\n"));
        _dovecot.Doveadm("mailbox", "create", "-u", "alice", "Archive");
    }

    public Task DisposeAsync()
    {
        _dovecot.Dispose();
        _ca.Dispose();
        try { Directory.Delete(_mail, true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private MailAccessProbeOptions Options(int port, string password = "Imap-Secret") => new()
    {
        Host = Host,
        Address = IPAddress.Loopback,
        Port = port,
        TrustedRoots = _ca.TrustStore,
        Credential = new NetworkCredential("alice", password),
        Timeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public async Task Imap_shows_capabilities_before_and_after_starttls_the_certificate_a_login_and_the_mailboxes_with_counts()
    {
        var r = await ImapProbe.ProbeAsync(Options(_dovecot.ImapPort));
        Assert.True(r.Succeeded, r.Error);
        Assert.StartsWith("* OK ", r.Banner);
        Assert.Contains("Dovecot", r.Banner);
        Assert.Contains("STARTTLS", r.CapabilitiesBeforeTls);
        Assert.Contains("IMAP4rev1", r.Capabilities);
        Assert.Contains("AUTH=PLAIN", r.Capabilities);
        Assert.DoesNotContain("STARTTLS", r.Capabilities);
        Assert.Equal(MailTlsMode.StartTls, r.TlsMode);
        Assert.Equal(SslProtocols.Tls13, r.Tls!.Protocol);
        Assert.Equal($"CN={Host}", r.Tls.CertificateSubject);
        Assert.Equal([Host], r.Tls.SubjectAlternativeNames);
        Assert.Equal(19, r.Tls.DaysLeft);
        Assert.True(r.Tls.ChainValid && r.Tls.HostnameMatch);
        Assert.True(r.LoginSucceeded);
        Assert.StartsWith("OK", r.LoginReply);
        var inbox = r.Mailboxes.Single(m => m.Name == "INBOX");
        Assert.Equal(2, inbox.Messages);
        Assert.Equal(2, inbox.Unseen);
        var archive = r.Mailboxes.Single(m => m.Name == "Archive");
        Assert.Equal(0, archive.Messages);
        Assert.Equal(".", archive.Delimiter);
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Sent, Tls: true } && l.Text.EndsWith("LOGIN \"alice\" ********", StringComparison.Ordinal));
        Assert.DoesNotContain(r.Transcript, l => l.Text.Contains("Imap-Secret"));
        Assert.Equal(["Connect", "Greeting", "StartTls", "Login", "Mailboxes"], r.Timings.Select(t => t.Stage));
    }

    [Fact]
    public async Task Imap_with_a_wrong_password_fails_the_login_stage()
    {
        var r = await ImapProbe.ProbeAsync(Options(_dovecot.ImapPort, "wrong"));
        Assert.Equal(MailAccessProbeOutcome.Login, r.Result);
        Assert.False(r.LoginSucceeded);
        Assert.StartsWith("NO", r.LoginReply);
        Assert.Empty(r.Mailboxes);
    }

    [Fact]
    public async Task Imap_with_tls_none_stays_in_plain_text_though_starttls_is_offered()
    {
        var r = await ImapProbe.ProbeAsync(new MailAccessProbeOptions { Host = Host, Address = IPAddress.Loopback, Port = _dovecot.ImapPort, Tls = MailTlsMode.None, Credential = new NetworkCredential("alice", "Imap-Secret") });
        Assert.True(r.Succeeded, r.Error);
        Assert.Equal(MailTlsMode.None, r.TlsMode);
        Assert.Null(r.Tls);
        Assert.Contains("STARTTLS", r.Capabilities);
        Assert.All(r.Transcript, l => Assert.False(l.Tls));
        Assert.Equal(2, r.Mailboxes.Single(m => m.Name == "INBOX").Messages);
    }

    [Fact]
    public async Task Pop3_shows_capa_before_and_after_stls_a_login_and_the_maildrop()
    {
        var r = await Pop3Probe.ProbeAsync(Options(_dovecot.Pop3Port));
        Assert.True(r.Succeeded, r.Error);
        Assert.StartsWith("+OK", r.Banner);
        Assert.Contains("STLS", r.CapabilitiesBeforeTls);
        Assert.DoesNotContain("STLS", r.Capabilities);
        Assert.Contains("USER", r.Capabilities);
        Assert.Contains("UIDL", r.Capabilities);
        Assert.Equal(MailTlsMode.StartTls, r.TlsMode);
        Assert.True(r.Tls!.ChainValid && r.Tls.HostnameMatch);
        Assert.Equal("ECDHE", r.Tls.KeyExchange);
        Assert.True(r.LoginSucceeded);
        Assert.Equal(2, r.MessageCount);
        Assert.True(r.MaildropSize > 50);
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Sent, Tls: true, Text: "PASS ********" });
        Assert.DoesNotContain(r.Transcript, l => l.Text.Contains("Imap-Secret"));
    }

    [Fact]
    public async Task Pop3_with_a_certificate_for_another_name_fails_tls_unless_skipped()
    {
        var refused = await Pop3Probe.ProbeAsync(new MailAccessProbeOptions { Host = "127.0.0.1", Port = _dovecot.Pop3Port, TrustedRoots = _ca.TrustStore });
        Assert.Equal(MailAccessProbeOutcome.Tls, refused.Result);
        Assert.False(refused.Tls!.HostnameMatch);
        var skipped = await Pop3Probe.ProbeAsync(new MailAccessProbeOptions { Host = "127.0.0.1", Port = _dovecot.Pop3Port, TrustedRoots = _ca.TrustStore, SkipCertificateCheck = true });
        Assert.True(skipped.Succeeded, skipped.Error);
        Assert.Null(skipped.LoginSucceeded);
        Assert.Null(skipped.MessageCount);
    }
}
