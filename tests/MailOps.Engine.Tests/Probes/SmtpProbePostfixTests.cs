using System.Net;
using System.Security.Authentication;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Probes;

namespace MailOps.Engine.Tests.Probes;

/// <summary>Invoke-SmtpProbe's library against Debian's Postfix with a certificate from a test CA made with openssl.</summary>
public sealed class SmtpProbePostfixTests : IAsyncLifetime
{
    private const string Host = "mx.probe.test";
    private OpensslCertificateAuthority _ca = null!;
    private IssuedCertificate _certificate = null!;

    public async Task InitializeAsync()
    {
        _ca = await OpensslCertificateAuthority.CreateAsync();
        _certificate = await _ca.IssueAsync(Host, days: 10);
    }

    public Task DisposeAsync()
    {
        _ca.Dispose();
        return Task.CompletedTask;
    }

    private string TlsConfig => $"""
        smtpd_tls_cert_file = {_certificate.CertificatePath}
        smtpd_tls_key_file = {_certificate.KeyPath}
        smtpd_tls_security_level = may
        """;

    private SmtpProbeOptions Probe(int port, string host = Host, MailTlsMode tls = MailTlsMode.Auto) => new()
    {
        Host = host,
        Address = IPAddress.Loopback,
        Port = port,
        Tls = tls,
        EhloName = "client.probe.test",
        TrustedRoots = _ca.TrustStore,
        Timeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public async Task Starttls_with_a_trusted_certificate_fills_every_tls_and_ehlo_field()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig);
        var r = await SmtpProbe.ProbeAsync(Probe(postfix.Port));

        Assert.True(r.Succeeded, r.Error);
        Assert.Equal(SmtpProbeOutcome.Success, r.Result);
        Assert.Equal(IPAddress.Loopback, r.Address);
        Assert.Equal($"{Host} ESMTP", r.Banner);
        Assert.Equal(MailTlsMode.StartTls, r.TlsMode);
        Assert.NotNull(r.EhloBeforeTls);
        Assert.True(r.EhloBeforeTls!.StartTls);
        Assert.False(r.Ehlo!.StartTls);
        Assert.Equal(Host, r.Ehlo.Greeting);
        Assert.Equal(10240000, r.Ehlo.Size);
        Assert.True(r.Ehlo.Pipelining && r.Ehlo.Chunking && r.Ehlo.SmtpUtf8 && r.Ehlo.Dsn && r.Ehlo.EightBitMime && r.Ehlo.EnhancedStatusCodes);
        Assert.False(r.Ehlo.RequireTls);

        var tls = r.Tls!;
        Assert.Equal(SslProtocols.Tls13, tls.Protocol);
        Assert.StartsWith("TLS_", tls.CipherSuite);
        Assert.Equal("ECDHE", tls.KeyExchange);
        Assert.Equal($"CN={Host}", tls.CertificateSubject);
        Assert.Equal([Host], tls.SubjectAlternativeNames);
        Assert.Equal("CN=MailOps probe test CA", tls.Issuer);
        Assert.Equal(9, tls.DaysLeft);
        Assert.True(tls.NotAfter > DateTime.UtcNow.AddDays(9));
        Assert.True(tls.ChainValid, tls.ChainError);
        Assert.True(tls.HostnameMatch);
        Assert.Null(tls.DaneMatch);

        Assert.Equal(["Connect", "Ehlo", "StartTls", "Quit"], r.Timings.Select(t => t.Stage));
        Assert.Contains(r.Replies, x => x.Stage == SmtpProbeStage.StartTls && x.Command == "STARTTLS" && x.Code == 220 && x.EnhancedCode == "2.0.0");
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Sent, Tls: false, Text: "STARTTLS" });
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Sent, Tls: true, Text: "EHLO client.probe.test" });
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Received, Tls: true, Text: "221 2.0.0 Bye" });
    }

    [Fact]
    public async Task A_certificate_that_does_not_name_the_host_fails_the_tls_stage_unless_the_check_is_skipped()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig);
        var refused = await SmtpProbe.ProbeAsync(Probe(postfix.Port, host: "127.0.0.1"));
        Assert.Equal(SmtpProbeOutcome.Tls, refused.Result);
        Assert.True(refused.Tls!.ChainValid);
        Assert.False(refused.Tls.HostnameMatch);
        Assert.Contains("does not name 127.0.0.1", refused.Error);

        var skipped = await SmtpProbe.ProbeAsync(new SmtpProbeOptions { Host = "127.0.0.1", Port = postfix.Port, TrustedRoots = _ca.TrustStore, SkipCertificateCheck = true });
        Assert.Equal(SmtpProbeOutcome.Success, skipped.Result);
        Assert.False(skipped.Tls!.HostnameMatch);
    }

    [Fact]
    public async Task A_certificate_from_an_unknown_ca_is_not_a_valid_chain()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig);
        var r = await SmtpProbe.ProbeAsync(new SmtpProbeOptions { Host = Host, Address = IPAddress.Loopback, Port = postfix.Port });
        Assert.Equal(SmtpProbeOutcome.Tls, r.Result);
        Assert.False(r.Tls!.ChainValid);
        Assert.NotNull(r.Tls.ChainError);
        Assert.True(r.Tls.HostnameMatch);
    }

    [Fact]
    public async Task Implicit_tls_on_the_smtps_service_greets_inside_tls()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig, smtps: true);
        var r = await SmtpProbe.ProbeAsync(Probe(postfix.SmtpsPort, tls: MailTlsMode.Implicit));
        Assert.True(r.Succeeded, r.Error);
        Assert.Equal(MailTlsMode.Implicit, r.TlsMode);
        Assert.Null(r.EhloBeforeTls);
        Assert.True(r.Tls!.ChainValid);
        var greeting = r.Transcript.First(l => l.Direction == ProbeDirection.Received && !l.Text.StartsWith('<'));
        Assert.True(greeting.Tls);
        Assert.Equal($"220 {Host} ESMTP", greeting.Text);
    }

    [Fact]
    public async Task Auth_through_dovecot_sasl_is_offered_only_inside_tls_and_the_password_never_shows()
    {
        using var dovecot = DovecotServer.Start([new DovecotUser("alice@probe.test", "Secret-42", "maildir:/nonexistent")],
            extraConfig: "auth_mechanisms = plain login\nservice auth {\n  unix_listener auth-postfix {\n    mode = 0666\n  }\n}\n");
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig + $"""

            smtpd_sasl_auth_enable = yes
            smtpd_sasl_type = dovecot
            smtpd_sasl_path = {dovecot.Directory}/run/auth-postfix
            smtpd_tls_auth_only = yes
            """);
        var options = Probe(postfix.Port);
        var r = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = Host, Address = IPAddress.Loopback, Port = postfix.Port, TrustedRoots = _ca.TrustStore,
            Credential = new NetworkCredential("alice@probe.test", "Secret-42"),
        });
        Assert.True(r.Succeeded, r.Error);
        Assert.Empty(r.AuthBeforeTls);
        Assert.Equal(["PLAIN", "LOGIN"], r.AuthAfterTls);
        Assert.Equal(new SmtpAuthResult("PLAIN", true, 235, "2.7.0 Authentication successful"), r.Auth);
        Assert.Equal(SmtpProbeStage.Auth, r.LastStage);
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Sent, Tls: true, Text: "AUTH PLAIN ********" });
        var secret = Convert.ToBase64String("\0alice@probe.test\0Secret-42"u8.ToArray());
        Assert.DoesNotContain(r.Transcript, l => l.Text.Contains("Secret-42") || l.Text.Contains(secret));

        var login = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = Host, Address = IPAddress.Loopback, Port = postfix.Port, TrustedRoots = _ca.TrustStore, AuthMechanism = "LOGIN",
            Credential = new NetworkCredential("alice@probe.test", "wrong"),
        });
        Assert.Equal(SmtpProbeOutcome.Auth, login.Result);
        Assert.False(login.Auth!.Succeeded);
        Assert.Equal(535, login.Auth.Code);
        Assert.Equal("LOGIN", login.Auth.Mechanism);
        Assert.DoesNotContain(login.Transcript, l => l.Text.Contains(Convert.ToBase64String("wrong"u8.ToArray())));
    }

    [Fact]
    public async Task A_message_with_an_attachment_a_header_and_a_utf8_address_goes_through_with_bdat_and_smtputf8()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig);
        var attachment = Path.Combine(postfix.Directory, "report.txt");
        await File.WriteAllTextAsync(attachment, "quarterly numbers\n");
        var r = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = Host, Address = IPAddress.Loopback, Port = postfix.Port, TrustedRoots = _ca.TrustStore,
            From = "jörg@sender.test", To = ["alice@probe.test"], Send = true, Subject = "Grüße",
            Attachments = [attachment], Headers = [new("X-Probe-Case", "attachment")],
        });
        Assert.True(r.Succeeded, r.Error);
        Assert.True(r.UsedChunking);
        Assert.True(r.UsedSmtpUtf8);
        Assert.Equal(["alice@probe.test"], r.AcceptedRecipients);
        Assert.NotNull(r.QueueId);
        Assert.Contains(r.Replies, x => x.Stage == SmtpProbeStage.Data && x.Text.Contains($"queued as {r.QueueId}"));
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Sent, Text: "MAIL FROM:<jörg@sender.test> SMTPUTF8 BODY=8BITMIME" });
        postfix.WaitForLog($"{r.QueueId}: removed");
        var file = Directory.GetFiles(Path.Combine(postfix.MailDirectory, "probe.test", "alice", "new")).Single();
        var stored = await MimeKit.MimeMessage.LoadAsync(file);
        Assert.Equal("Grüße", stored.Subject);
        Assert.Equal("attachment", stored.Headers["X-Probe-Case"]);
        Assert.Equal(r.MessageId, stored.MessageId);
        Assert.Equal("report.txt", Assert.Single(stored.Attachments).ContentDisposition?.FileName);
    }

    [Fact]
    public async Task An_open_relay_on_purpose_is_found_and_every_nmap_variant_is_tried()
    {
        // mynetworks = 127.0.0.0/8 and permit_mynetworks: the probe's own address may relay anywhere.
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig);
        var r = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = Host, Address = IPAddress.Loopback, Port = postfix.Port, TrustedRoots = _ca.TrustStore, TestRelay = true,
        });
        Assert.True(r.Succeeded, r.Error);
        var relay = r.Relay!;
        Assert.True(relay.IsOpenRelay);
        Assert.Equal(16, relay.Attempts.Count);
        Assert.Contains(relay.Accepted, a => a is { MailFrom: "<>", RcptTo: "<relaytest@example.net>", RcptCode: 250 });
        Assert.Contains(relay.Attempts, a => a.RcptTo == $"<relaytest%example.net@{Host}>");
        Assert.Contains(relay.Attempts, a => a.RcptTo == "<@[127.0.0.1]:relaytest@example.net>");
        Assert.Contains(relay.Attempts, a => a.RcptTo == "<example.net!relaytest@[127.0.0.1]>");
        Assert.Equal(17, r.Transcript.Count(l => l is { Direction: ProbeDirection.Sent, Text: "RSET" }));
    }

    [Fact]
    public async Task A_relay_refusing_postfix_is_not_reported_open()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig + "\nmynetworks = 192.0.2.1/32\n");
        var r = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = Host, Address = IPAddress.Loopback, Port = postfix.Port, TrustedRoots = _ca.TrustStore, TestRelay = true,
        });
        Assert.True(r.Succeeded, r.Error);
        Assert.False(r.Relay!.IsOpenRelay);
        Assert.Equal(16, r.Relay.Attempts.Count);
        Assert.Empty(r.Relay.Accepted);
        Assert.Contains(r.Relay.Attempts, a => a.RcptCode == 454 && a.Reply.Contains("Relay access denied"));
    }

    [Fact]
    public async Task Postfix_does_not_answer_plain_text_pipelined_after_starttls()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig);
        var r = await SmtpProbe.ProbeAsync(Probe(postfix.Port) is var o ? new SmtpProbeOptions
        {
            Host = o.Host, Address = o.Address, Port = o.Port, TrustedRoots = o.TrustedRoots, TestStartTlsInjection = true,
        } : null!);
        Assert.True(r.Succeeded, r.Error);
        Assert.False(r.StartTlsInjection);
        Assert.Contains(r.Transcript, l => l is { Direction: ProbeDirection.Sent, Tls: false, Text: "NOOP" });
    }

    [Fact]
    public async Task Postfixs_connection_limit_is_reported_as_rate_limiting_not_as_missing_starttls()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig + """

            smtpd_client_connection_count_limit = 1
            smtpd_client_event_limit_exceptions =
            """);
        using var held = new System.Net.Sockets.TcpClient();
        await held.ConnectAsync(IPAddress.Loopback, postfix.Port);
        var greeting = new byte[256];
        Assert.True(await held.GetStream().ReadAsync(greeting) > 0);

        var r = await SmtpProbe.ProbeAsync(Probe(postfix.Port));
        Assert.Equal(SmtpProbeOutcome.RateLimited, r.Result);
        Assert.True(r.RateLimited);
        Assert.Null(r.Tls);
        Assert.Null(r.Ehlo);
        Assert.StartsWith("421 4.7.0 ", r.Transcript.First(l => l.Direction == ProbeDirection.Received).Text);
        Assert.Contains("too many connections", r.Banner);
    }

    [Fact]
    public async Task With_tls_1_2_the_key_exchange_comes_from_the_cipher_suite()
    {
        using var postfix = PostfixInstance.Start(Host, "probe.test", ["alice"], TlsConfig + "\nsmtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3\n");
        var r = await SmtpProbe.ProbeAsync(Probe(postfix.Port));
        Assert.True(r.Succeeded, r.Error);
        Assert.Equal(SslProtocols.Tls12, r.Tls!.Protocol);
        Assert.StartsWith("TLS_ECDHE_ECDSA_WITH_", r.Tls.CipherSuite);
        Assert.Equal("ECDHE", r.Tls.KeyExchange);
    }
}
