using MailKit.Net.Imap;
using MailKit.Security;

namespace MailOps.Engine.Tests.Imap;

/// <summary>The IMAP grammar and login rules over a bare socket: literals, long lines, garbage, TLS before passwords.</summary>
public sealed class ImapProtocolTests : IAsyncLifetime
{
    private ImapTestHost _host = null!;

    public Task InitializeAsync()
    {
        _host = ImapTestHost.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Garbage_gets_BAD_and_the_session_goes_on()
    {
        await using var imap = await RawImapClient.ConnectAsync(_host.Port);
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev1", imap.Greeting);
        await imap.SendAsync("\r\n");
        Assert.StartsWith("* BAD", await imap.ReadLineAsync());
        await imap.SendAsync("((( \x01\x02\r\n");
        Assert.StartsWith("* BAD", await imap.ReadLineAsync());
        Assert.StartsWith("a1 BAD", (await imap.CommandAsync("FROBNICATE"))[^1]);
        Assert.StartsWith("a2 BAD", (await imap.CommandAsync("LOGIN \"unterminated"))[^1]);
        Assert.StartsWith("a3 BAD", (await imap.CommandAsync("SELECT INBOX"))[^1]);
        Assert.StartsWith("a4 OK", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
        Assert.StartsWith("a5 BAD", (await imap.CommandAsync("FETCH 1 (FLAGS)"))[^1]);
        Assert.StartsWith("a6 OK", (await imap.CommandAsync("SELECT INBOX"))[^1]);
        Assert.StartsWith("a7 BAD", (await imap.CommandAsync("FETCH 1:* (FLAGS"))[^1]);
        Assert.StartsWith("a8 BAD", (await imap.CommandAsync("SEARCH FOO"))[^1]);
        Assert.StartsWith("a9 BAD", (await imap.CommandAsync("STORE 1 +FLAGS (\\Bogus)"))[^1]);
        Assert.StartsWith("a10 OK", (await imap.CommandAsync("NOOP"))[^1]);
    }

    [Fact]
    public async Task Literals_synchronizing_and_LITERAL_plus_and_an_8000_byte_command_line_are_read()
    {
        await using var imap = await RawImapClient.ConnectAsync(_host.Port);
        await imap.SendAsync("a1 LOGIN {5}\r\n");
        Assert.StartsWith("+", await imap.ReadLineAsync());
        await imap.SendAsync("alice {6+}\r\nsecret\r\n");
        Assert.StartsWith("a1 OK", (await imap.ReadUntilTagAsync("a1"))[^1]);

        var message = "Subject: via literal\r\n\r\nHello.\r\n";
        await imap.SendAsync($"a2 APPEND INBOX (\\Seen $Label1) {{{message.Length}+}}\r\n{message}\r\n");
        var append = (await imap.ReadUntilTagAsync("a2"))[^1];
        Assert.Matches(@"^a2 OK \[APPENDUID \d+ 1\]", append);

        Assert.Matches(@"^a\d+ OK", (await imap.CommandAsync("SELECT INBOX"))[^1]);
        // An 8000+ byte command line: a long UID set and a long search (RFC 7162 4 asks for at least 8192 octets).
        var set = string.Join(',', Enumerable.Range(0, 1800).Select(i => (i * 2 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(set.Length > 8000);
        var search = await imap.CommandAsync("UID SEARCH UID " + set);
        Assert.Equal("* SEARCH 1", search[0]);
        Assert.Matches(@"^a\d+ OK", search[^1]);
        var fetch = await imap.CommandAsync("UID FETCH " + set + " (FLAGS)");
        Assert.Contains(fetch, l => l.StartsWith("* 1 FETCH (UID 1 FLAGS (\\Seen", StringComparison.Ordinal) && l.Contains("$Label1"));
    }

    [Fact]
    public async Task Before_TLS_a_remote_looking_client_sees_LOGINDISABLED_and_LOGIN_is_refused_then_STARTTLS_allows_it()
    {
        await using var strict = ImapTestHost.Start(plaintextOnLoopback: false);
        await using (var imap = await RawImapClient.ConnectAsync(strict.Port))
        {
            Assert.Contains("LOGINDISABLED", imap.Greeting);
            Assert.Contains("STARTTLS", imap.Greeting);
            Assert.DoesNotContain("AUTH=PLAIN", imap.Greeting);
            Assert.StartsWith("a1 NO [PRIVACYREQUIRED]", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
            Assert.StartsWith("a2 NO [PRIVACYREQUIRED]", (await imap.CommandAsync("AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA=="))[^1]);
        }
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", strict.Port, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        Assert.Contains("PLAIN", client.AuthenticationMechanisms);
        await client.AuthenticateAsync("alice", "secret");
        Assert.True(client.IsAuthenticated);
        await client.DisconnectAsync(true);

        using var implicitTls = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await implicitTls.ConnectAsync("127.0.0.1", strict.TlsPort, SecureSocketOptions.SslOnConnect);
        await implicitTls.AuthenticateAsync("alice", "secret");
        await implicitTls.DisconnectAsync(true);
        var log = strict.WaitForLog(@"imap\(alice\)<\d+><[^>]+>: Logged out in=\d+ out=\d+.*\n.*imap\(alice\)<\d+><[^>]+>: Logged out");
        Assert.Matches(@"imap-login: Login: user=<alice>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, TLS, session=<", log);
        Assert.Matches(@"imap\(alice\)<\d+><[^>]+>: Logged out in=\d+ out=\d+ deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0", log);
    }

    [Fact]
    public async Task A_wrong_password_is_NO_AUTHENTICATIONFAILED_and_counted()
    {
        await using var imap = await RawImapClient.ConnectAsync(_host.Port);
        Assert.StartsWith("a1 NO [AUTHENTICATIONFAILED]", (await imap.CommandAsync("LOGIN alice wrong"))[^1]);
        Assert.Equal(1, _host.Failures.CountOf(System.Net.IPAddress.Loopback));
        await imap.SendAsync("a2 AUTHENTICATE PLAIN\r\n");
        Assert.Equal("+ ", await imap.ReadLineAsync());
        await imap.SendAsync("AGFsaWNlAHNlY3JldA==\r\n");
        Assert.StartsWith("a2 OK [CAPABILITY IMAP4rev1", (await imap.ReadUntilTagAsync("a2"))[^1]);
    }
}
