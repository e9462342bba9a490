using MailKit;
using MailKit.Net.Pop3;
using MailKit.Security;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Pop3;

/// <summary>Real POP3 clients against our listeners: MailKit's Pop3Client, curl and Python's poplib.</summary>
public sealed class Pop3RealClientTests : IAsyncLifetime
{
    private Pop3TestHost _host = null!;

    public async Task InitializeAsync()
    {
        // Without the loopback allowance: every client must use TLS, as it would from another machine.
        _host = Pop3TestHost.Start(plaintextOnLoopback: false);
        await _host.DeliverAsync("alice", "From: a@example.org\nSubject: first\nMessage-ID: <1@example.org>\n\nHello.\n.dot line\n");
        await _host.DeliverAsync("alice", "From: b@example.org\nSubject: second\nMessage-ID: <2@example.org>\n\nBody line 1\nBody line 2\nBody line 3\n");
        await _host.DeliverAsync("alice", "From: c@example.org\nSubject: third\nMessage-ID: <3@example.org>\n\nThird.\n");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Pop3Client NewClient() => new() { ServerCertificateValidationCallback = (_, _, _, _) => true };

    private async Task<List<string>> ExpectedUidlsAsync()
    {
        var listing = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        return listing.Messages.Select(m => $"{m.Uid:x8}{listing.UidValidity:x8}").ToList();
    }

    [Fact]
    public async Task MailKit_uses_every_advertised_capability_STLS_SASL_PLAIN_UIDL_TOP_PIPELINING_and_RESP_CODES()
    {
        using var pop = NewClient();
        await pop.ConnectAsync("127.0.0.1", _host.Port, SecureSocketOptions.StartTls);
        Assert.True(pop.IsSecure);
        foreach (var capability in new[] { Pop3Capabilities.StartTLS, Pop3Capabilities.UIDL, Pop3Capabilities.Top, Pop3Capabilities.Pipelining,
                     Pop3Capabilities.ResponseCodes, Pop3Capabilities.Sasl, Pop3Capabilities.User })
            Assert.True(pop.Capabilities.HasFlag(capability), $"{capability} not in {pop.Capabilities}");
        Assert.Contains("PLAIN", pop.AuthenticationMechanisms);
        await pop.AuthenticateAsync(new SaslMechanismPlain("alice", "secret"));
        Assert.Equal(3, pop.Count);

        Assert.Equal(await ExpectedUidlsAsync(), await pop.GetMessageUidsAsync());
        // GetMessages over several indexes pipelines the RETRs when PIPELINING is offered.
        var messages = await pop.GetMessagesAsync([0, 1, 2]);
        Assert.Equal(["first", "second", "third"], messages.Select(m => m.Subject));
        Assert.Equal("Hello.\r\n.dot line\r\n", messages[0].TextBody!.ReplaceLineEndings("\r\n"));
        var headers = await pop.GetMessageHeadersAsync(1);
        Assert.Equal("<2@example.org>", "<" + headers[MimeKit.HeaderId.MessageId]!.Trim('<', '>') + ">");
        var sizes = await pop.GetMessageSizesAsync();
        var listing = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        Assert.Equal(listing.Messages.Select(m => (int)m.Size), sizes);

        // RESP-CODES: a second session is told the mailbox is in use; MailKit fails the login, and its protocol log shows the code.
        var transcript = new MemoryStream();
        using (var second = new Pop3Client(new ProtocolLogger(transcript, leaveOpen: true)) { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await second.ConnectAsync("127.0.0.1", _host.TlsPort, SecureSocketOptions.SslOnConnect);
            await Assert.ThrowsAsync<AuthenticationException>(() => second.AuthenticateAsync("alice", "secret"));
        }
        Assert.Contains("S: -ERR [IN-USE] ", System.Text.Encoding.UTF8.GetString(transcript.ToArray()));

        await pop.DeleteMessageAsync(0);
        await pop.DisconnectAsync(quit: true);
        Assert.Equal(2, _host.MessageFiles("alice").Count);
    }

    [Fact]
    public async Task MailKit_over_POP3S_with_USER_PASS_and_a_wrong_password_is_an_AUTH_failure()
    {
        using var pop = NewClient();
        await pop.ConnectAsync("127.0.0.1", _host.TlsPort, SecureSocketOptions.SslOnConnect);
        pop.AuthenticationMechanisms.Clear();
        await Assert.ThrowsAsync<AuthenticationException>(() => pop.AuthenticateAsync("alice", "wrong"));
        await pop.AuthenticateAsync("alice", "secret");
        Assert.Equal(3, pop.Count);
        var message = await pop.GetMessageAsync(2);
        Assert.Equal("third", message.Subject);
        await pop.DisconnectAsync(quit: true);
    }

    [Fact]
    public async Task Curl_lists_and_retrieves_over_STLS_and_POP3S()
    {
        var cert = _host.WriteCertificatePem();
        var (code, list, error) = await ExternalProgram.RunAsync("curl",
            ["-sS", "--ssl-reqd", "--cacert", cert, "-u", "alice:secret", $"pop3://127.0.0.1:{_host.Port}/"]);
        Assert.True(code == 0, error);
        var listing = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        Assert.Equal(listing.Messages.Select((m, i) => $"{i + 1} {m.Size}"), list.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));

        (code, var message, error) = await ExternalProgram.RunAsync("curl",
            ["-sS", "--cacert", cert, "-u", "alice:secret", $"pop3s://127.0.0.1:{_host.TlsPort}/2"]);
        Assert.True(code == 0, error);
        Assert.Contains("Subject: second\r\n", message);
        Assert.EndsWith("Body line 3\r\n", message);

        (code, message, error) = await ExternalProgram.RunAsync("curl",
            ["-sS", "-k", "-u", "alice:secret", "-X", "UIDL", $"pop3s://127.0.0.1:{_host.TlsPort}/"]);
        Assert.True(code == 0, error);
        Assert.Equal((await ExpectedUidlsAsync()).Select((u, i) => $"{i + 1} {u}"), message.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Curl_without_TLS_cannot_log_in()
    {
        var (code, _, _) = await ExternalProgram.RunAsync("curl", ["-sS", "-u", "alice:secret", $"pop3://127.0.0.1:{_host.Port}/"]);
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task Python_poplib_reads_and_deletes_over_stls_and_POP3_SSL()
    {
        var cert = _host.WriteCertificatePem();
        const string script = """
            import poplib, ssl, sys
            port, tls_port, cafile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
            ctx = ssl.create_default_context(cafile=cafile)
            p = poplib.POP3('127.0.0.1', port)
            caps = p.capa()
            assert 'STLS' in caps and 'UIDL' in caps and 'TOP' in caps, caps
            p.stls(context=ctx)
            p.user('alice'); p.pass_('secret')
            count, size = p.stat()
            print('stat', count, size)
            for line in p.uidl()[1]: print('uidl', line.decode())
            resp, lines, octets = p.retr(1)
            print('retr', b'\r\n'.join(lines).decode().split('\r\n')[1])
            resp, lines, octets = p.top(2, 1)
            print('top', lines[-1].decode())
            p.dele(3)
            p.quit()
            s = poplib.POP3_SSL('127.0.0.1', tls_port, context=ctx)
            s.user('alice'); s.pass_('secret')
            print('after', s.stat()[0])
            s.quit()
            """;
        var before = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        var uidls = await ExpectedUidlsAsync();
        var (code, output, error) = await ExternalProgram.RunAsync("/usr/bin/python3", ["-c", script, _host.Port.ToString(), _host.TlsPort.ToString(), cert]);
        Assert.True(code == 0, error + output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"stat 3 {before.Messages.Sum(m => m.Size)}", lines[0]);
        Assert.Equal(uidls.Select((u, i) => $"uidl {i + 1} {u}"), lines.Where(l => l.StartsWith("uidl", StringComparison.Ordinal)));
        Assert.Equal("retr Subject: first", lines.Single(l => l.StartsWith("retr", StringComparison.Ordinal)));
        Assert.Equal("top Body line 1", lines.Single(l => l.StartsWith("top", StringComparison.Ordinal)));
        Assert.Equal("after 2", lines[^1]);
        var listing = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        Assert.Equal(2, listing.Messages.Count);
    }
}
