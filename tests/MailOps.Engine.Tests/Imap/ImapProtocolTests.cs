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
        var esearch = await imap.CommandAsync("UID SEARCH RETURN (MIN MAX COUNT ALL) UID " + set);
        Assert.Matches(@"^\* ESEARCH \(TAG ""a\d+""\) UID MIN 1 MAX 1 COUNT 1 ALL 1$", esearch[0]);
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
        var log = strict.WaitForLog(@"(?s)imap\(alice\)<\d+><[^>]+>: Logged out.*imap\(alice\)<\d+><[^>]+>: Logged out");
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

    private const string Nested = "From: a@example.org\nTo: alice@example.test\nSubject: nested\nMIME-Version: 1.0\n" +
        "Content-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain\n\nfirst part\n--b1\nContent-Type: message/rfc822\n\n" +
        "From: inner@example.org\nSubject: inner\nContent-Type: text/plain\n\ninner body\n--b1--\n";

    [Fact]
    public async Task Sections_HEADER_FIELDS_MIME_part_numbers_and_RFC822_items_are_served_and_a_non_PEEK_fetch_sets_Seen()
    {
        await _host.DeliverAsync("alice", Nested);
        await using var imap = await RawImapClient.ConnectAsync(_host.Port);
        await imap.CommandAsync("LOGIN alice secret");
        await imap.CommandAsync("SELECT INBOX");
        var text = string.Join("\n", await imap.CommandAsync("FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject From)] BODY.PEEK[HEADER.FIELDS.NOT (From Subject To MIME-Version Content-Type)])"));
        Assert.Contains("BODY[HEADER.FIELDS (SUBJECT FROM)] {40}\nFrom: a@example.org\nSubject: nested\n\n", text.Replace("\r", ""));
        Assert.Contains("BODY[HEADER.FIELDS.NOT (FROM SUBJECT TO MIME-VERSION CONTENT-TYPE)] {2}", text);
        text = string.Join("\n", await imap.CommandAsync("FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[2.1] BODY.PEEK[3])"));
        Assert.Contains("BODY[1] {10}\nfirst part", text);
        Assert.Contains("BODY[1.MIME] {28}\nContent-Type: text/plain\n", text);
        Assert.Contains("BODY[2.HEADER] {69}\nFrom: inner@example.org", text);
        Assert.Contains("BODY[2.TEXT] {10}\ninner body", text);
        Assert.Contains("BODY[2.1] {10}\ninner body", text);
        Assert.Contains("BODY[3] NIL", text);
        Assert.DoesNotContain("\\Seen", text);
        text = string.Join("\n", await imap.CommandAsync("FETCH 1 (BODY BODYSTRUCTURE)"));
        Assert.Contains("BODY ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" ", text);
        Assert.Contains(" \"mixed\") BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)", text);
        Assert.Contains("\"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))", text);
        text = string.Join("\n", await imap.CommandAsync("FETCH 1 (RFC822.HEADER RFC822.TEXT)"));
        Assert.Contains("RFC822.HEADER {", text);
        Assert.Contains("RFC822.TEXT {", text);
        // RFC822.TEXT is no PEEK: \Seen is set and reported.
        Assert.Contains("FLAGS (\\Seen \\Recent)", text);
        text = string.Join("\n", await imap.CommandAsync("FETCH 1 (BODY[]<6.9> RFC822.SIZE)"));
        Assert.Contains("BODY[]<6> {9}\na@example", text);
    }

    [Fact]
    public async Task LIST_with_patterns_extended_options_and_STATUS_and_LSUB_and_COPY_to_a_missing_folder_says_TRYCREATE()
    {
        await _host.DeliverAsync("alice", "Subject: one\n\n1\n");
        await using var imap = await RawImapClient.ConnectAsync(_host.Port);
        await imap.CommandAsync("LOGIN alice secret");
        Assert.StartsWith("a2 OK", (await imap.CommandAsync("CREATE Work.Projects."))[^1]);
        Assert.StartsWith("a3 NO [ALREADYEXISTS]", (await imap.CommandAsync("CREATE Work.Projects"))[^1]);
        Assert.Equal(["* LIST (\\Noselect) \".\" \"\"", "a4 OK LIST completed."], await imap.CommandAsync("LIST \"\" \"\""));
        var top = await imap.CommandAsync("LIST \"\" %");
        Assert.Contains("* LIST (\\Noselect \\HasChildren) \".\" \"Work\"", top);
        Assert.Contains("* LIST (\\HasNoChildren \\Sent) \".\" \"Sent\"", top);
        Assert.DoesNotContain(top, l => l.Contains("Projects"));
        Assert.Equal(["* LIST (\\HasNoChildren) \".\" \"Work.Projects\"", "a6 OK LIST completed."], await imap.CommandAsync("LIST Work *"));
        Assert.Equal(["* LIST (\\HasNoChildren) \".\" \"INBOX\"", "a7 OK LIST completed."], await imap.CommandAsync("LIST \"\" inbox"));
        var special = await imap.CommandAsync("LIST (SPECIAL-USE) \"\" \"*\"");
        Assert.Equal(5, special.Count);
        var status = await imap.CommandAsync("LIST \"\" (INBOX Work.*) RETURN (SUBSCRIBED STATUS (MESSAGES UIDNEXT UNSEEN))");
        Assert.Contains("* STATUS \"INBOX\" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)", status);
        Assert.Contains("* STATUS \"Work.Projects\" (MESSAGES 0 UIDNEXT 1 UNSEEN 0)", status);
        Assert.StartsWith("a10 OK", (await imap.CommandAsync("SUBSCRIBE Work.Projects"))[^1]);
        var subscribed = await imap.CommandAsync("LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %");
        Assert.Contains("* LIST (\\NonExistent \\HasChildren) \".\" \"Work\" (\"CHILDINFO\" (\"SUBSCRIBED\"))", subscribed);
        Assert.Contains("* LIST (\\HasNoChildren \\Subscribed \\Trash) \".\" \"Trash\"", subscribed);
        Assert.Contains("* LSUB () \".\" \"Work.Projects\"", await imap.CommandAsync("LSUB \"\" *"));
        Assert.Contains("* LSUB (\\Noselect) \".\" \"Work\"", await imap.CommandAsync("LSUB \"\" %"));
        Assert.Contains("* STATUS \"Trash\" (MESSAGES 0 RECENT 0 UIDVALIDITY ", string.Join("\n", await imap.CommandAsync("STATUS Trash (MESSAGES RECENT UIDVALIDITY)")));
        await imap.CommandAsync("SELECT INBOX");
        Assert.StartsWith("a16 NO [TRYCREATE]", (await imap.CommandAsync("COPY 1 Nowhere"))[^1]);
        Assert.StartsWith("a17 OK", (await imap.CommandAsync("RENAME Work.Projects Work.Done"))[^1]);
        Assert.StartsWith("a18 NO [NONEXISTENT]", (await imap.CommandAsync("SELECT Work.Projects"))[^1]);
        Assert.StartsWith("a19 OK [READ-ONLY]", (await imap.CommandAsync("EXAMINE Work.Done"))[^1]);
        Assert.StartsWith("a20 NO [READ-ONLY]", (await imap.CommandAsync("UID STORE 1:* +FLAGS (\\Seen)"))[^1]);
        Assert.StartsWith("a21 OK", (await imap.CommandAsync("UNSELECT"))[^1]);
        Assert.StartsWith("a22 OK", (await imap.CommandAsync("DELETE Work.Done"))[^1]);
        Assert.StartsWith("a23 OK", (await imap.CommandAsync("CREATE &AMQ-pfel"))[^1]);
        Assert.True(System.IO.Directory.Exists(Path.Combine(_host.Store.PathFor("alice"), ".&AMQ-pfel")));
        Assert.Contains("* LIST (\\HasNoChildren) \".\" \"&AMQ-pfel\"", await imap.CommandAsync("LIST \"\" &AMQ-*"));
    }

    [Fact]
    public async Task A_silent_client_is_sent_away_before_login_and_in_IDLE_with_BYE()
    {
        await using var quick = ImapTestHost.Start(loginTimeout: TimeSpan.FromSeconds(1), idleTimeout: TimeSpan.FromSeconds(2));
        await using (var silent = await RawImapClient.ConnectAsync(quick.Port))
        {
            Assert.Equal("* BYE Disconnected for inactivity.", await silent.ReadLineAsync());
            Assert.Equal("<closed>", await silent.ReadLineAsync());
        }
        await using var idler = await RawImapClient.ConnectAsync(quick.Port);
        await idler.CommandAsync("LOGIN alice secret");
        await idler.CommandAsync("SELECT INBOX");
        await idler.SendAsync("i1 IDLE\r\n");
        Assert.Equal("+ idling", await idler.ReadLineAsync());
        Assert.Equal("* BYE Disconnected for inactivity.", await idler.ReadLineAsync());
        Assert.Equal("<closed>", await idler.ReadLineAsync());
        Assert.Matches(@"imap\(alice\)<\d+><[^>]+>: Disconnected: ", quick.WaitForLog(@"imap\(alice\).*Disconnected"));
    }

    [Fact]
    public async Task Renaming_INBOX_moves_its_messages_to_the_new_folder_and_leaves_INBOX_empty()
    {
        await _host.DeliverAsync("alice", "Subject: one\n\n1\n");
        await _host.DeliverAsync("alice", "Subject: two\n\n2\n");
        await using var imap = await RawImapClient.ConnectAsync(_host.Port);
        await imap.CommandAsync("LOGIN alice secret");
        await imap.CommandAsync("SELECT INBOX");
        await imap.CommandAsync("STORE 2 +FLAGS ($Kept \\Flagged)");
        Assert.Matches(@"^a\d+ OK", (await imap.CommandAsync("RENAME INBOX Old-Inbox"))[^1]);
        Assert.Contains("* STATUS \"INBOX\" (MESSAGES 0)", await imap.CommandAsync("STATUS INBOX (MESSAGES)"));
        var moved = await imap.CommandAsync("EXAMINE Old-Inbox");
        Assert.Contains("* 2 EXISTS", moved);
        Assert.Contains(await imap.CommandAsync("FETCH 2 (FLAGS)"), l => l.Contains("\\Flagged") && l.Contains("$Kept"));
    }

    [Fact]
    public async Task Random_bytes_bad_names_and_oversized_literals_never_take_the_server_down()
    {
        var random = new Random(5);
        await using (var fuzz = await RawImapClient.ConnectAsync(_host.Port))
        {
            await fuzz.CommandAsync("LOGIN alice secret");
            Assert.StartsWith("a2 NO", (await fuzz.CommandAsync("SELECT a/b"))[^1]);
            Assert.StartsWith("a3 NO", (await fuzz.CommandAsync("CREATE \"x..y\""))[^1]);
            Assert.StartsWith("a4 NO", (await fuzz.CommandAsync("CREATE \"../../etc\""))[^1]);
            Assert.StartsWith("a5 NO [TOOBIG]", (await fuzz.CommandAsync("APPEND INBOX {999999999999}"))[^1]);
            for (var i = 0; i < 15; i++)
            {
                var junk = new byte[random.Next(1, 300)];
                random.NextBytes(junk);
                for (var j = 0; j < junk.Length; j++) if (junk[j] is (byte)'\n' or (byte)'{') junk[j] = (byte)'x';
                await fuzz.SendAsync("t" + i + " " + System.Text.Encoding.Latin1.GetString(junk) + "\r\n");
                var answer = await fuzz.ReadLineAsync();
                Assert.Matches(@"^(t\d+|\*) (BAD|NO)", answer);
            }
        }
        await using (var greedy = await RawImapClient.ConnectAsync(_host.Port))
        {
            // A non-synchronizing literal too large to take: the octets cannot be told from commands, so the server hangs up.
            await greedy.SendAsync("a1 LOGIN {999999999999+}\r\n");
            Assert.Equal("* BYE [TOOBIG] Literal too large.", await greedy.ReadLineAsync());
        }
        // The server still serves.
        await using var after = await RawImapClient.ConnectAsync(_host.Port);
        Assert.StartsWith("a1 OK", (await after.CommandAsync("LOGIN alice secret"))[^1]);
        Assert.StartsWith("a2 OK", (await after.CommandAsync("SELECT INBOX"))[^1]);
    }

    [Fact]
    public async Task A_FETCH_of_a_message_another_session_expunged_skips_it_with_EXPUNGEISSUED_as_Dovecot_does()
    {
        for (var i = 1; i <= 3; i++) await _host.DeliverAsync("alice", $"Subject: m{i}\n\nbody {i}\n");
        await using var reader = await RawImapClient.ConnectAsync(_host.Port);
        await using var other = await RawImapClient.ConnectAsync(_host.Port);
        foreach (var imap in new[] { reader, other })
        {
            await imap.CommandAsync("LOGIN alice secret");
            await imap.CommandAsync("SELECT INBOX");
        }
        await other.CommandAsync("STORE 2 +FLAGS.SILENT (\\Deleted)");
        await other.CommandAsync("EXPUNGE");

        // By sequence number no EXPUNGE may be sent during FETCH (RFC 3501 7.4.1): message 2 is skipped, 1 and 3 served.
        var fetch = await reader.CommandAsync("FETCH 1:3 (BODY.PEEK[TEXT])");
        Assert.Equal("OK [EXPUNGEISSUED] Some messages were already expunged.", fetch[^1][(fetch[^1].IndexOf(' ') + 1)..]);
        Assert.Contains(fetch, l => l.StartsWith("* 1 FETCH", StringComparison.Ordinal));
        Assert.Contains(fetch, l => l.StartsWith("* 3 FETCH", StringComparison.Ordinal));
        Assert.DoesNotContain(fetch, l => l.StartsWith("* 2 FETCH (BODY", StringComparison.Ordinal));
        // The next command that may tell it does.
        Assert.Contains("* 2 EXPUNGE", await reader.CommandAsync("NOOP"));
    }
}
