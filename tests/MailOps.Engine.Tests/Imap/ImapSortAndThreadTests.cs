using System.Globalization;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Imap;

/// <summary>
/// SORT and THREAD (RFC 5256) over one crafted INBOX: replies with References and In-Reply-To, missing parents, a
/// duplicate Message-ID, a message without one, Re:/Fwd:/[list]/(fwd)/[fwd: ...] subjects, encoded words, equal dates, a
/// message without Date. Read over the wire, by MailKit, by Python's imaplib, and against Debian's Dovecot on the same Maildir.
/// </summary>
public sealed class ImapSortAndThreadTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    // Sequence numbers 1..13; UIDs are one more (a first message is expunged), so UID answers are told apart.
    private static readonly (string Text, DateTimeOffset Received)[] Mail =
    [
        ("From: Carol <carol@example.org>\nTo: dave@example.org\nSubject: Meeting\nDate: Mon, 16 Nov 2026 09:00:00 +0000\nMessage-ID: <m1@example.org>\n\nShall we meet?\n", Noon.AddMinutes(5)),
        ("From: alice@example.org\nTo: carol@example.org\nCc: bob@example.org\nSubject: Re: Meeting\nDate: Mon, 16 Nov 2026 10:00:00 +0000\nMessage-ID: <m2@example.org>\nIn-Reply-To: <m1@example.org>\nReferences: <m1@example.org>\n\nYes.\n", Noon.AddMinutes(1)),
        ("From: zed@example.org\nTo: Bob <bob@example.org>\nCc: Yann <yann@example.org>\nSubject: [list] Re: Fwd: Budget (fwd)\nDate: Mon, 16 Nov 2026 08:00:00 +0100\nMessage-ID: <m3@example.org>\n\nForwarded budget, with a longer body than most of the others here.\n", Noon.AddMinutes(9)),
        ("From: bob@example.org\nTo: carol@example.org\nSubject: RE: Meeting\nDate: Mon, 16 Nov 2026 10:00:00 +0000\nMessage-ID: <m4@example.org>\nReferences: <m1@example.org> <lost@example.org>\n\nMe too, at ten.\n", Noon.AddMinutes(2)),
        ("From: Mallory <mallory@example.org>\nTo: alice@example.org\nSubject: Budget\nDate: Sun, 15 Nov 2026 12:00:00 +0000\nMessage-ID: <m5@example.org>\n\nThe budget.\n", Noon.AddMinutes(3)),
        ("From: frank@example.org\nTo: alice@example.org\nSubject: [fwd: Budget]\nMessage-ID: <m6@example.org>\n\nNo Date header: INTERNALDATE stands in.\n", new DateTimeOffset(2026, 11, 14, 6, 0, 0, TimeSpan.Zero)),
        ("From: eve@example.org\nTo: alice@example.org\nSubject: Other\nDate: Mon, 16 Nov 2026 11:00:00 +0000\nMessage-ID: <m7@example.org>\nIn-Reply-To: <gone@example.org>\n\nA reply to a message not here; a much longer body than the others, so that SIZE has something to say.\n", Noon.AddMinutes(4)),
        ("From: dave@example.org\nTo: alice@example.org\nSubject: Re: Other\nDate: Mon, 16 Nov 2026 11:30:00 +0000\nMessage-ID: <m8@example.org>\nReferences: <gone@example.org>\n\nx\n", Noon.AddMinutes(6)),
        ("From: CAROL@example.org\nTo: alice@example.org\nSubject: Meeting\nDate: Tue, 17 Nov 2026 09:00:00 +0000\nMessage-ID: <m1@example.org>\n\nSame Message-ID as the first.\n", Noon.AddMinutes(7)),
        ("From: bob@example.org\nTo: alice@example.org\nCc: carol@example.org\nSubject: re: [ops] lunch\nDate: Tue, 17 Nov 2026 12:00:00 +0000\n\nNo Message-ID at all.\n", Noon.AddMinutes(8)),
        ("From: =?UTF-8?Q?Ren=C3=A9?= <rene@example.org>\nTo: alice@example.org\nSubject: =?UTF-8?Q?Re=3A_Caf=C3=A9?=\nDate: Tue, 17 Nov 2026 13:00:00 +0000\nMessage-ID: <m11@example.org>\n\nEncoded.\n", Noon.AddMinutes(10)),
        ("From: alice@example.org\nTo: bob@example.org\nSubject: =?UTF-8?Q?Caf=C3=A9?=\nDate: Tue, 17 Nov 2026 12:30:00 +0000\nMessage-ID: <m12@example.org>\n\nCoffee?\n", Noon),
        ("From: ann@example.org\nDate: Tue, 17 Nov 2026 13:00:00 +0000\nMessage-ID: <m13@example.org>\nReferences: <m8@example.org>\n\nNo subject, no To.\n", Noon.AddMinutes(11)),
    ];

    private ImapTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = ImapTestHost.Start();
        var inbox = _host.Store.Open("alice").Inbox;
        var first = await inbox.DeliverAsync(new MemoryStream("Subject: gone\r\n\r\nx\r\n"u8.ToArray()));
        await inbox.ExpungeAsync([first.Uid]);
        foreach (var (text, received) in Mail)
            await inbox.DeliverAsync(new MemoryStream(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"))), receivedDate: received);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<RawImapClient> SelectAsync(int port)
    {
        var imap = await RawImapClient.ConnectAsync(port);
        Assert.StartsWith("a1 OK", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
        Assert.StartsWith("a2 OK", (await imap.CommandAsync("SELECT INBOX"))[^1]);
        return imap;
    }

    /// <summary>The one untagged answer of a command starting with <paramref name="prefix"/>, after checking the tagged OK.</summary>
    private static async Task<string> AnswerAsync(RawImapClient imap, string command, string prefix)
    {
        var lines = await imap.CommandAsync(command);
        Assert.Matches(@"^a\d+ OK", lines[^1]);
        return Assert.Single(lines, l => l.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>Each SORT or THREAD command with its answer, over one session on <paramref name="port"/>.</summary>
    private static async Task<List<string>> AnswersAsync(int port, IEnumerable<string> commands)
    {
        await using var imap = await SelectAsync(port);
        var answers = new List<string>();
        foreach (var command in commands)
        {
            // Dovecot answers an empty THREAD with "* THREAD " (a space RFC 5256 4's thread-data does not have); we do not.
            var answer = await AnswerAsync(imap, command, command.Contains("SORT", StringComparison.Ordinal) ? "* SORT" : "* THREAD");
            answers.Add(command + " => " + answer.TrimEnd(' '));
        }
        return answers;
    }

    private static string Plus(string numbers, int add) =>
        string.Join(' ', numbers.Split(' ').Select(n => (int.Parse(n, CultureInfo.InvariantCulture) + add).ToString(CultureInfo.InvariantCulture)));

    [Fact]
    public async Task SORT_orders_by_every_key_with_REVERSE_and_ties_in_sequence_order_and_UID_SORT_answers_UIDs()
    {
        await using var imap = await SelectAsync(_host.Port);
        var capability = await AnswerAsync(imap, "CAPABILITY", "* CAPABILITY");
        Assert.Contains(" SORT", capability);
        Assert.Contains(" THREAD=ORDEREDSUBJECT", capability);
        Assert.Contains(" THREAD=REFERENCES", capability);

        // DATE: the Date: header in UTC (message 3 is 07:00Z), message 6 by its INTERNALDATE, 2 and 4 equal, 11 and 13 equal.
        Assert.Equal("* SORT 6 5 3 1 2 4 7 8 9 10 12 11 13", await AnswerAsync(imap, "SORT (DATE) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 11 13 12 10 9 8 7 2 4 1 3 5 6", await AnswerAsync(imap, "SORT (REVERSE DATE) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 6 12 2 4 5 7 1 8 9 10 3 11 13", await AnswerAsync(imap, "SORT (ARRIVAL) US-ASCII ALL", "* SORT"));
        // SUBJECT: base subjects "", BUDGET, CAFÉ (encoded words decoded), LUNCH, MEETING, OTHER.
        Assert.Equal("* SORT 13 3 5 6 11 12 10 1 2 4 9 7 8", await AnswerAsync(imap, "SORT (SUBJECT) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 7 8 1 2 4 9 10 11 12 3 5 6 13", await AnswerAsync(imap, "SORT (REVERSE SUBJECT) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 13 6 5 3 12 11 10 1 2 4 9 7 8", await AnswerAsync(imap, "SORT (SUBJECT DATE) UTF-8 ALL", "* SORT"));
        // FROM, TO, CC: the first address's mailbox, case-insensitively; none sorts first.
        Assert.Equal("* SORT 2 12 13 4 10 1 9 8 7 6 5 11 3", await AnswerAsync(imap, "SORT (FROM) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 13 5 6 7 8 9 10 11 3 12 2 4 1", await AnswerAsync(imap, "SORT (TO) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 1 4 5 6 7 8 9 11 12 13 2 10 3", await AnswerAsync(imap, "SORT (CC) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 3 10 2 12 13 4 1 9 8 7 6 5 11", await AnswerAsync(imap, "SORT (REVERSE CC FROM) UTF-8 ALL", "* SORT"));
        // SIZE: the stored sizes (CRLF), equal sizes in sequence order.
        var sizes = Mail.Select((m, i) => (Size: Encoding.UTF8.GetByteCount(m.Text.ReplaceLineEndings("\r\n")), Sequence: i + 1)).ToList();
        var bySize = string.Join(' ', sizes.OrderBy(s => s.Size).ThenBy(s => s.Sequence).Select(s => s.Sequence));
        var byReverseSize = string.Join(' ', sizes.OrderByDescending(s => s.Size).ThenBy(s => s.Sequence).Select(s => s.Sequence));
        Assert.Equal("* SORT " + bySize, await AnswerAsync(imap, "SORT (SIZE) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT " + byReverseSize, await AnswerAsync(imap, "SORT (REVERSE SIZE) UTF-8 ALL", "* SORT"));

        // The search part is SEARCH's: UID SORT answers UIDs (sequence + 1 here).
        Assert.Equal("* SORT " + Plus("6 5 3 1 2 4 7 8 9 10 12 11 13", 1), await AnswerAsync(imap, "UID SORT (DATE) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 1 2 4 9", await AnswerAsync(imap, "SORT (DATE) UTF-8 SUBJECT meeting", "* SORT"));
        Assert.Equal("* SORT 12 11", await AnswerAsync(imap, "SORT (DATE) UTF-8 SUBJECT \"Caf\u00e9\"", "* SORT"));
        Assert.Equal("* SORT " + Plus("9 2 4 1", 1), await AnswerAsync(imap, "UID SORT (REVERSE DATE) UTF-8 OR SUBJECT meeting UID 2:3", "* SORT"));
        Assert.Equal("* SORT", await AnswerAsync(imap, "SORT (DATE) UTF-8 SUBJECT nothing-like-this", "* SORT"));

        Assert.Matches(@"^a\d+ NO \[BADCHARSET \(US-ASCII UTF-8\)\]", (await imap.CommandAsync("SORT (DATE) KOI8-R ALL"))[^1]);
        Assert.Matches(@"^a\d+ BAD", (await imap.CommandAsync("SORT (COLOUR) UTF-8 ALL"))[^1]);
        Assert.Matches(@"^a\d+ BAD", (await imap.CommandAsync("SORT DATE UTF-8 ALL"))[^1]);
        Assert.Matches(@"^a\d+ BAD", (await imap.CommandAsync("SORT (DATE) UTF-8"))[^1]);
        Assert.Matches(@"^a\d+ BAD", (await imap.CommandAsync("SORT (REVERSE) UTF-8 ALL"))[^1]);
    }

    [Fact]
    public async Task THREAD_REFERENCES_and_ORDEREDSUBJECT_answer_the_RFC_5256_thread_lists()
    {
        await using var imap = await SelectAsync(_host.Port);
        // REFERENCES: 5 holds the Budget thread (6 and 3 are forwards, gathered by subject); the duplicate Message-ID 9
        // and 1 share a dummy; 4's missing parent is pruned; 7 and 8 share the missing <gone@>; 13 answers 8; 11 is a
        // reply by subject to 12.
        Assert.Equal("* THREAD (5 (6)(3))((1 (2)(4))(9))((7)(8 13))(10)(12 11)", await AnswerAsync(imap, "THREAD REFERENCES UTF-8 ALL", "* THREAD"));
        Assert.Equal("* THREAD (6 (5)(3))(1 (2)(4)(9))(7 8)(10)(12 11)(13)", await AnswerAsync(imap, "THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD"));
        Assert.Equal("* THREAD (6 (7)(4))((2 (3)(5))(10))((8)(9 14))(11)(13 12)", await AnswerAsync(imap, "UID THREAD REFERENCES US-ASCII ALL", "* THREAD"));
        // Without 8, 13's parent is a dummy that is pruned; 7 is alone under <gone@>.
        Assert.Equal("* THREAD (5 (6)(3))((1 (2)(4))(9))(7)(10)(12 11)(13)", await AnswerAsync(imap, "THREAD REFERENCES UTF-8 NOT FROM dave", "* THREAD"));
        Assert.Equal("* THREAD (1 (2)(4))", await AnswerAsync(imap, "THREAD REFERENCES UTF-8 1:4 SUBJECT meeting", "* THREAD"));
        Assert.Equal("* THREAD", await AnswerAsync(imap, "THREAD ORDEREDSUBJECT UTF-8 SUBJECT nothing-like-this", "* THREAD"));
        Assert.Matches(@"^a\d+ BAD", (await imap.CommandAsync("THREAD REFS UTF-8 ALL"))[^1]);
        Assert.Matches(@"^a\d+ NO \[BADCHARSET", (await imap.CommandAsync("THREAD REFERENCES X-UNKNOWN ALL"))[^1]);
    }

    [Fact]
    public async Task Dovecot_on_the_same_Maildir_gives_the_same_SORT_and_THREAD_answers()
    {
        string[] commands =
        [
            "SORT (DATE) UTF-8 ALL", "SORT (REVERSE DATE) UTF-8 ALL", "SORT (ARRIVAL) UTF-8 ALL", "SORT (REVERSE ARRIVAL) UTF-8 ALL",
            "SORT (SUBJECT) UTF-8 ALL", "SORT (REVERSE SUBJECT) UTF-8 ALL", "SORT (SUBJECT DATE) UTF-8 ALL", "SORT (FROM) UTF-8 ALL",
            "SORT (REVERSE FROM) UTF-8 ALL", "SORT (TO) UTF-8 ALL", "SORT (CC) UTF-8 ALL", "SORT (REVERSE CC FROM) UTF-8 ALL", "SORT (TO CC DATE) UTF-8 ALL",
            "SORT (SIZE) UTF-8 ALL", "SORT (REVERSE SIZE) US-ASCII ALL", "UID SORT (REVERSE SUBJECT REVERSE DATE) UTF-8 ALL",
            "SORT (DATE) UTF-8 SUBJECT meeting", "UID SORT (REVERSE DATE) UTF-8 OR SUBJECT meeting UID 2:3", "SORT (DATE) UTF-8 SUBJECT nothing-like-this",
            "THREAD REFERENCES UTF-8 ALL", "THREAD ORDEREDSUBJECT UTF-8 ALL", "UID THREAD REFERENCES US-ASCII ALL", "UID THREAD ORDEREDSUBJECT UTF-8 ALL",
            "THREAD REFERENCES UTF-8 NOT FROM dave", "THREAD ORDEREDSUBJECT UTF-8 NOT FROM dave", "THREAD REFERENCES UTF-8 1:4 SUBJECT meeting",
            "THREAD REFERENCES UTF-8 NOT SUBJECT budget", "THREAD REFERENCES UTF-8 5:13", "THREAD ORDEREDSUBJECT UTF-8 SUBJECT nothing-like-this",
        ];
        var ours = await AnswersAsync(_host.Port, commands);
        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + _host.Store.PathFor("alice"))]);
        var theirs = await AnswersAsync(dovecot.ImapPort, commands);
        Assert.Equal(string.Join('\n', theirs), string.Join('\n', ours));
        Assert.Contains("THREAD REFERENCES UTF-8 ALL => * THREAD (5 (6)(3))((1 (2)(4))(9))((7)(8 13))(10)(12 11)", theirs);
        Assert.Empty(dovecot.LogProblems());
    }

    [Fact]
    public async Task Dovecot_agrees_on_tricky_subjects_and_references_that_loop_repeat_or_disagree()
    {
        await using var host = ImapTestHost.Start();
        var inbox = host.Store.Open("alice").Inbox;
        string[] subjects =
        [
            "hello (fwd)", "hello(FWD) (fwd)  ", "(fwd) hello", "Re: hello", "RE: Re: re:hello", "Fwd: hello", "fw[2]: hello", "Re [3]: hello",
            "[list] Re: hello", "[a][b] Fwd: Re: hello", "Re:", "[list] Re:", "Rehearsal", "Re hello", "Re [x] [y]: hi", "[list] hello",
            "[list]", "[a][b]", "[b]", "Re: [list]", "[fwd: hello]", "[Fwd: Re: hello (fwd)]", "Re: [fwd: [list] hello]", "[fwd: [fwd: hello]]",
            "[fwd: hello] more", "more", "  hello\t\t  world  ", "hello world", "[unclosed hello", "=?UTF-8?Q?Re=3A_=5Bx=5D_Gr=C3=BC=C3=9Fe?=", "Grüße",
        ];
        // Message-ID, References: a loop (a/b), a self-reference, references in different orders, a duplicate ID, a truncated chain.
        (string Id, string References)[] links =
        [
            ("<a@x>", "<b@x>"), ("<b@x>", "<a@x>"), ("<c@x>", "<c@x>"), ("<d@x>", "<x@x> <y@x> <z@x>"), ("<e@x>", "<y@x> <d@x>"),
            ("<f@x>", "<x@x> <d@x>"), ("<g@x>", "<d@x>"), ("<d@x>", "<g@x>"), ("<h@x>", "<z@x>"), ("", "<h@x> <c@x>"), ("<i@x>", "<q@x> <i@x>"),
        ];
        var date = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        var n = 0;
        foreach (var subject in subjects)
        {
            // Two pairs of equal dates, to see the sequence-number tie-break.
            var sent = date.AddMinutes(n % 7 == 3 ? n - 1 : n).ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
            await inbox.DeliverAsync(new MemoryStream(Encoding.UTF8.GetBytes($"From: s{n}@example.org\r\nSubject: {subject}\r\nDate: {sent}\r\nMessage-ID: <s{n}@example.org>\r\n\r\nbody\r\n")),
                receivedDate: Noon.AddMinutes(-n));
            n++;
        }
        foreach (var (id, references) in links)
        {
            var sent = date.AddHours(1).AddMinutes(-n).ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
            var header = $"From: r{n}@example.org\r\nSubject: {(n % 2 == 0 ? "Re: links" : "links")}\r\nDate: {sent}\r\n" +
                (id.Length > 0 ? $"Message-ID: {id}\r\n" : "") + $"References: {references}\r\n";
            await inbox.DeliverAsync(new MemoryStream(Encoding.UTF8.GetBytes(header + "\r\nbody\r\n")), receivedDate: Noon.AddMinutes(n));
            n++;
        }
        string[] commands =
        [
            "SORT (SUBJECT) UTF-8 ALL", "SORT (REVERSE SUBJECT) UTF-8 ALL", "SORT (DATE) UTF-8 ALL", "SORT (REVERSE DATE) UTF-8 ALL",
            "THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD REFERENCES UTF-8 ALL", "THREAD REFERENCES UTF-8 SUBJECT links",
        ];
        var ours = await AnswersAsync(host.Port, commands);
        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + host.Store.PathFor("alice"))]);
        var theirs = await AnswersAsync(dovecot.ImapPort, commands);
        Assert.Equal(string.Join('\n', theirs), string.Join('\n', ours));
        Assert.Empty(dovecot.LogProblems());
    }

    private static List<uint> Uids(string sequence) => sequence.Split(' ').Select(n => uint.Parse(n, CultureInfo.InvariantCulture) + 1).ToList();

    // A MailKit thread tree as "uid[child,child]", a dummy as "dummy[...]".
    private static string Render(MessageThread thread) =>
        (thread.UniqueId is { } uid ? uid.Id.ToString(CultureInfo.InvariantCulture) : "dummy") +
        (thread.Children.Count > 0 ? "[" + string.Join(',', thread.Children.Select(Render)) + "]" : "");

    [Fact]
    public async Task MailKit_sees_SORT_and_both_THREAD_algorithms_and_gets_the_orders_and_trees()
    {
        using var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", _host.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", "secret");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Sort));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Thread));
        Assert.Equal([ThreadingAlgorithm.OrderedSubject, ThreadingAlgorithm.References], client.ThreadingAlgorithms.Order());
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);

        Assert.Equal(Uids("6 5 3 1 2 4 7 8 9 10 12 11 13"), (await inbox.SortAsync(SearchQuery.All, [OrderBy.Date])).Select(u => u.Id));
        Assert.Equal(Uids("6 12 2 4 5 7 1 8 9 10 3 11 13"), (await inbox.SortAsync(SearchQuery.All, [OrderBy.Arrival])).Select(u => u.Id));
        Assert.Equal(Uids("13 6 5 3 12 11 10 1 2 4 9 7 8"), (await inbox.SortAsync(SearchQuery.All, [OrderBy.Subject, OrderBy.Date])).Select(u => u.Id));
        Assert.Equal(Uids("3 10 2 12 13 4 1 9 8 7 6 5 11"), (await inbox.SortAsync(SearchQuery.All, [OrderBy.ReverseCc, OrderBy.From])).Select(u => u.Id));
        Assert.Equal(Uids("9 2 4 1"), (await inbox.SortAsync(SearchQuery.SubjectContains("meeting"), [OrderBy.ReverseDate])).Select(u => u.Id));
        Assert.Equal(Uids("13 5 6 7 8 9 10 11 3 12 2 4 1"), (await inbox.SortAsync(SearchQuery.All, [OrderBy.To])).Select(u => u.Id));

        var references = await inbox.ThreadAsync(ThreadingAlgorithm.References, SearchQuery.All);
        Assert.Equal(["6[7,4]", "dummy[2[3,5],10]", "dummy[8,9[14]]", "11", "13[12]"], references.Select(Render));
        var ordered = await inbox.ThreadAsync(ThreadingAlgorithm.OrderedSubject, SearchQuery.All);
        Assert.Equal(["7[6,4]", "2[3,5,10]", "8[9]", "11", "13[12]", "14"], ordered.Select(Render));
        var budget = await inbox.ThreadAsync(ThreadingAlgorithm.References, SearchQuery.SubjectContains("budget"));
        Assert.Equal(["6[7,4]"], budget.Select(Render));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Python_imaplib_sorts_and_threads()
    {
        const string script = """
            import imaplib, sys
            m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
            m.login('alice', 'secret')
            caps = m.capability()[1][0].decode().split()
            assert 'SORT' in caps and 'THREAD=REFERENCES' in caps and 'THREAD=ORDEREDSUBJECT' in caps, caps
            m.select('INBOX', readonly=True)
            typ, data = m.sort('(REVERSE DATE)', 'UTF-8', 'ALL')
            print('sort', typ, data[0].decode())
            typ, data = m.uid('SORT', '(SUBJECT)', 'US-ASCII', 'FROM', 'carol')
            print('uid sort', typ, data[0].decode())
            typ, data = m.thread('REFERENCES', 'UTF-8', 'ALL')
            print('thread', typ, data[0].decode())
            typ, data = m.thread('ORDEREDSUBJECT', 'UTF-8', 'SINCE', '1-Nov-2026')
            print('ordered', typ, data[0].decode())
            try:
                m.sort('(DATE)', 'KOI8-R', 'ALL')
            except imaplib.IMAP4.error as e:
                print('charset', str(e))
            else:
                typ, data = m.response('BADCHARSET')
                print('charset', typ, data)
            m.logout()
            """;
        var (code, output, error) = await ExternalProgram.RunAsync("/usr/bin/python3", ["-c", script, _host.Port.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, error + output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("sort OK 11 13 12 10 9 8 7 2 4 1 3 5 6", lines[0]);
        // From carol: 1 and 9 (CAROL), not 2 (carol is its To); SUBJECT puts MEETING 1 and 9 in sequence order.
        Assert.Equal("uid sort OK 2 10", lines[1]);
        Assert.Equal("thread OK (5 (6)(3))((1 (2)(4))(9))((7)(8 13))(10)(12 11)", lines[2]);
        Assert.Equal("ordered OK (6 (5)(3))(1 (2)(4)(9))(7 8)(10)(12 11)(13)", lines[3]);
        Assert.StartsWith("charset ", lines[4]);
        Assert.Contains("BADCHARSET", lines[4]);
    }

    [Fact]
    public async Task Empty_and_headerless_messages_sort_and_thread_like_any_other()
    {
        var inbox = _host.Store.Open("alice").Inbox;
        await inbox.DeliverAsync(new MemoryStream([]), receivedDate: Noon.AddDays(-30));
        await inbox.DeliverAsync(new MemoryStream("no header at all, just text\r\n"u8.ToArray()), receivedDate: Noon.AddDays(-31));
        await inbox.DeliverAsync(new MemoryStream([0, 1, 2, 0xff, 0xfe, (byte)'\n']), receivedDate: Noon.AddDays(-32));
        await using var imap = await SelectAsync(_host.Port);
        // 14, 15 and 16 have no Date: their INTERNALDATEs, a month before the rest, put them first.
        Assert.Equal("* SORT 16 15 14 6 5 3 1 2 4 7 8 9 10 12 11 13", await AnswerAsync(imap, "SORT (DATE) UTF-8 ALL", "* SORT"));
        Assert.Equal("* SORT 13 14 15 16 3 5 6 11 12 10 1 2 4 9 7 8", await AnswerAsync(imap, "SORT (SUBJECT) UTF-8 ALL", "* SORT"));
        Assert.StartsWith("* SORT 13 14 15 16 ", await AnswerAsync(imap, "SORT (TO) UTF-8 ALL", "* SORT"));
        Assert.Equal("* THREAD (16)(15)(14)(5 (6)(3))((1 (2)(4))(9))((7)(8 13))(10)(12 11)", await AnswerAsync(imap, "THREAD REFERENCES UTF-8 ALL", "* THREAD"));
        Assert.Equal("* THREAD (16 (15)(14)(13))(6 (5)(3))(1 (2)(4)(9))(7 8)(10)(12 11)", await AnswerAsync(imap, "THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD"));
        Assert.Equal("* SORT 14 16 15", await AnswerAsync(imap, "SORT (SIZE) UTF-8 NOT SUBJECT \"\" NOT FROM @", "* SORT"));
        Assert.Equal("* SEARCH 14 15 16", await AnswerAsync(imap, "SEARCH NOT FROM @", "* SEARCH"));
        // They used to end the session: MimeKit finds no message in an empty file.
        Assert.Matches(@"^a\d+ OK", (await imap.CommandAsync("FETCH 14:16 (ENVELOPE BODYSTRUCTURE BODY.PEEK[] BINARY.PEEK[1])"))[^1]);

        // Dovecot reads the same three files the same way.
        string[] commands = ["SORT (DATE) UTF-8 ALL", "SORT (SUBJECT) UTF-8 ALL", "SORT (REVERSE TO) UTF-8 ALL", "SORT (SIZE) UTF-8 NOT FROM @",
            "THREAD REFERENCES UTF-8 ALL", "THREAD ORDEREDSUBJECT UTF-8 ALL"];
        var ours = await AnswersAsync(_host.Port, commands);
        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + _host.Store.PathFor("alice"))]);
        Assert.Equal(await AnswersAsync(dovecot.ImapPort, commands), ours);
    }
}
