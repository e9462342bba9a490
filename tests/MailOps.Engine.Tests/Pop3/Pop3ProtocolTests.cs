namespace MailOps.Engine.Tests.Pop3;

/// <summary>The POP3 session byte for byte (RFC 1939, RFC 2449, RFC 2595, RFC 5034) on a real listener.</summary>
public sealed class Pop3ProtocolTests : IAsyncLifetime
{
    private Pop3TestHost _host = null!;

    public Task InitializeAsync()
    {
        _host = Pop3TestHost.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task DeliverTwoAsync()
    {
        await _host.DeliverAsync("alice", "Subject: one\n\nFirst.\n");
        await _host.DeliverAsync("alice", "Subject: two\n\nSecond.\n");
    }

    [Fact]
    public async Task DELE_then_QUIT_removes_the_file_and_the_next_session_sees_one_message_less()
    {
        await DeliverTwoAsync();
        await using (var pop = await RawPop3Client.LoginAsync(_host.Port))
        {
            Assert.StartsWith("+OK 2 ", await pop.CommandAsync("STAT"));
            Assert.StartsWith("+OK", await pop.CommandAsync("DELE 1"));
            Assert.StartsWith("-ERR", await pop.CommandAsync("RETR 1"));
            Assert.StartsWith("+OK 1 ", await pop.CommandAsync("STAT"));
            Assert.StartsWith("+OK", await pop.CommandAsync("QUIT"));
            Assert.Equal("", await pop.ReadLineAsync());
        }
        Assert.Single(_host.MessageFiles("alice"));
        await using var next = await RawPop3Client.LoginAsync(_host.Port);
        var (_, lines) = await next.MultiLineAsync("TOP 1 0");
        Assert.Contains("Subject: two", lines);
    }

    [Fact]
    public async Task DELE_then_RSET_keeps_the_message()
    {
        await DeliverTwoAsync();
        await using (var pop = await RawPop3Client.LoginAsync(_host.Port))
        {
            Assert.StartsWith("+OK", await pop.CommandAsync("DELE 2"));
            Assert.StartsWith("+OK", await pop.CommandAsync("RSET"));
            Assert.StartsWith("+OK 2 ", await pop.CommandAsync("STAT"));
            Assert.StartsWith("+OK", await pop.CommandAsync("QUIT"));
        }
        Assert.Equal(2, _host.MessageFiles("alice").Count);
    }

    [Fact]
    public async Task A_connection_dropped_without_QUIT_deletes_nothing()
    {
        await DeliverTwoAsync();
        await using (var pop = await RawPop3Client.LoginAsync(_host.Port))
        {
            Assert.StartsWith("+OK", await pop.CommandAsync("DELE 1"));
            Assert.StartsWith("+OK", await pop.CommandAsync("DELE 2"));
        }
        // The lock is released when the server notices the drop; the next login then sees both messages.
        var stat = "";
        for (var attempt = 0; attempt < 100 && !stat.StartsWith("+OK 2 ", StringComparison.Ordinal); attempt++)
        {
            await using var again = await RawPop3Client.ConnectAsync(_host.Port);
            await again.CommandAsync("USER alice");
            if ((await again.CommandAsync("PASS secret")).Contains("[IN-USE]")) { await Task.Delay(100); continue; }
            stat = await again.CommandAsync("STAT");
        }
        Assert.StartsWith("+OK 2 ", stat);
        Assert.Equal(2, _host.MessageFiles("alice").Count);
    }

    [Fact]
    public async Task A_second_session_on_the_same_mailbox_gets_IN_USE_until_the_first_quits()
    {
        await DeliverTwoAsync();
        await using var first = await RawPop3Client.LoginAsync(_host.Port);
        await using (var second = await RawPop3Client.ConnectAsync(_host.Port))
        {
            Assert.StartsWith("+OK", await second.CommandAsync("USER alice"));
            Assert.StartsWith("-ERR [IN-USE]", await second.CommandAsync("PASS secret"));
            // Another user's mailbox is not locked.
            Assert.StartsWith("+OK", await second.CommandAsync("USER bob"));
            Assert.StartsWith("+OK", await second.CommandAsync("PASS secret"));
        }
        Assert.StartsWith("+OK", await first.CommandAsync("QUIT"));
        await using var third = await RawPop3Client.LoginAsync(_host.Port);
        Assert.StartsWith("+OK 2 ", await third.CommandAsync("STAT"));
    }

    [Fact]
    public async Task Malformed_commands_get_ERR_and_the_session_goes_on()
    {
        await DeliverTwoAsync();
        await using var pop = await RawPop3Client.ConnectAsync(_host.Port);
        Assert.StartsWith("-ERR", await pop.CommandAsync("STAT"));
        Assert.StartsWith("-ERR", await pop.CommandAsync("PASS secret"));
        Assert.StartsWith("-ERR", await pop.CommandAsync("FROB"));
        Assert.StartsWith("-ERR", await pop.CommandAsync(""));
        Assert.StartsWith("-ERR", await pop.CommandAsync("USER a\0b"));
        Assert.StartsWith("-ERR", await pop.CommandAsync("AUTH CRAM-MD5"));
        Assert.StartsWith("-ERR", await pop.CommandAsync("AUTH PLAIN !!!notbase64"));
        Assert.StartsWith("-ERR", await pop.CommandAsync("USER " + new string('x', 5000)));
        Assert.StartsWith("-ERR", await pop.CommandAsync("USER " + new string('y', 300)));
        Assert.StartsWith("+OK", await pop.CommandAsync("USER alice"));
        Assert.StartsWith("+OK", await pop.CommandAsync("PASS secret"));
        foreach (var bad in new[] { "RETR", "RETR 0", "RETR 3", "RETR -1", "RETR x", "LIST 99999999999", "TOP 1", "TOP 1 x", "DELE", "STAT now", "USER alice", "STLS" })
            Assert.StartsWith("-ERR", await pop.CommandAsync(bad));
        Assert.StartsWith("+OK 2 ", await pop.CommandAsync("STAT"));
        Assert.StartsWith("+OK", await pop.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Too_many_bad_commands_end_the_session()
    {
        await using var pop = await RawPop3Client.ConnectAsync(_host.Port);
        var reply = "";
        for (var i = 0; i < 25; i++)
        {
            reply = await pop.CommandAsync("BOGUS");
            if (reply == "" || reply.Contains("Too many bad commands")) break;
        }
        Assert.Contains("Too many bad commands", reply);
        Assert.Equal("", await pop.ReadLineAsync());
    }

    [Fact]
    public async Task Pipelined_commands_are_all_answered_in_order()
    {
        await DeliverTwoAsync();
        await using var pop = await RawPop3Client.ConnectAsync(_host.Port);
        await pop.SendAsync("USER alice\r\nPASS secret\r\nSTAT\r\nUIDL\r\nRETR 2\r\nDELE 1\r\nQUIT\r\n");
        Assert.StartsWith("+OK", await pop.ReadLineAsync());
        Assert.StartsWith("+OK", await pop.ReadLineAsync());
        Assert.StartsWith("+OK 2 ", await pop.ReadLineAsync());
        var (_, uidls) = await pop.ReadMultiLineAsync();
        Assert.Equal(2, uidls.Count);
        var (_, message) = await pop.ReadMultiLineAsync();
        Assert.Contains("Second.", message);
        Assert.StartsWith("+OK", await pop.ReadLineAsync());
        Assert.StartsWith("+OK", await pop.ReadLineAsync());
        Assert.Single(_host.MessageFiles("alice"));
    }

    [Fact]
    public async Task RETR_dot_stuffs_and_TOP_gives_the_header_and_the_first_body_lines()
    {
        var text = "Subject: dots\n\n.leading dot\nline two\n..two dots\n.\nlast";
        await _host.DeliverAsync("alice", text);
        await using var pop = await RawPop3Client.LoginAsync(_host.Port);
        var (status, lines) = await pop.MultiLineAsync("RETR 1");
        Assert.Equal(new[] { "Subject: dots", "", ".leading dot", "line two", "..two dots", ".", "last" }, lines);
        // The octet count is the message's own size with CRLF line ends (what LIST says), not the stuffed size.
        var size = text.ReplaceLineEndings("\r\n").Length;
        Assert.Equal($"+OK {size} octets", status);
        Assert.Equal($"+OK 1 {size}", await pop.CommandAsync("LIST 1"));
        var (_, top) = await pop.MultiLineAsync("TOP 1 2");
        Assert.Equal(new[] { "Subject: dots", "", ".leading dot", "line two" }, top);
        var (_, none) = await pop.MultiLineAsync("TOP 1 0");
        Assert.Equal(new[] { "Subject: dots", "" }, none);
    }

    [Fact]
    public async Task UIDL_is_Dovecot_s_default_format_and_stable_across_sessions()
    {
        await DeliverTwoAsync();
        var listing = await _host.Store.Open("alice").Inbox.ListMessagesAsync();
        var expected = listing.Messages.Select((m, i) => $"{i + 1} {m.Uid:x8}{listing.UidValidity:x8}").ToList();
        for (var session = 0; session < 2; session++)
        {
            await using var pop = await RawPop3Client.LoginAsync(_host.Port);
            var (_, lines) = await pop.MultiLineAsync("UIDL");
            Assert.Equal(expected, lines);
            Assert.Equal("+OK " + expected[1], await pop.CommandAsync("UIDL 2"));
            Assert.StartsWith("+OK", await pop.CommandAsync("QUIT"));
        }
    }

    [Fact]
    public async Task QUIT_marks_retrieved_messages_seen_as_Dovecot_s_POP3_does()
    {
        await DeliverTwoAsync();
        await using (var pop = await RawPop3Client.LoginAsync(_host.Port))
        {
            await pop.MultiLineAsync("RETR 2");
            await pop.MultiLineAsync("TOP 1 0");
            Assert.StartsWith("+OK", await pop.CommandAsync("QUIT"));
        }
        var messages = (await _host.Store.Open("alice").Inbox.ListMessagesAsync()).Messages;
        Assert.Equal(MailOps.Engine.Store.MessageFlags.None, messages[0].Flags);
        Assert.Equal(MailOps.Engine.Store.MessageFlags.Seen, messages[1].Flags);
        Assert.EndsWith(":2,S", messages[1].Path);
    }

    [Fact]
    public async Task Logins_and_logouts_are_logged_in_Dovecot_s_format()
    {
        await DeliverTwoAsync();
        await using (var pop = await RawPop3Client.LoginAsync(_host.Port))
        {
            await pop.MultiLineAsync("RETR 1");
            await pop.MultiLineAsync("TOP 2 0");
            await pop.CommandAsync("DELE 2");
            await pop.CommandAsync("QUIT");
        }
        await using (var bad = await RawPop3Client.ConnectAsync(_host.Port))
        {
            await bad.CommandAsync("USER alice");
            await bad.CommandAsync("PASS wrong");
            await bad.CommandAsync("QUIT");
        }
        const string failed = @"pop3-login: Disconnected \(auth failed, 1 attempts in \d+ secs\): user=<alice>, method=PLAIN, rip=127\.0\.0\.1";
        const string loggedOut = @"pop3\(alice\)<\d+><[A-Za-z0-9+/]{16}>: Disconnected: Logged out top=1/\d+, retr=1/\d+, del=1/2, size=\d+";
        _host.WaitForLog(failed);
        var log = _host.WaitForLog(loggedOut);
        Assert.Matches(@"mailops/pop3\[\d+\]: pop3-login: Login: user=<alice>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, secured, session=<[A-Za-z0-9+/]{16}>", log);
        Assert.Matches(loggedOut, log);
        Assert.Matches(failed, log);
    }
}
