using System.Text;
using System.Text.RegularExpressions;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Imap;

/// <summary>
/// BINARY (RFC 3516): parts fetched with their Content-Transfer-Encoding undone, their decoded sizes, literal8 for octets
/// with NUL, UNKNOWN-CTE, and APPEND of a literal8; the answers compared with Debian's Dovecot on the same Maildir.
/// </summary>
public sealed class ImapBinaryTests : IAsyncLifetime
{
    // Part 1 quoted-printable (a soft line break), 2 base64 with NUL, CR and LF octets, 3 an attached message whose body
    // is base64 (its Content-Transfer-Encoding not its last field), 4 8bit, 5 7bit.
    private const string Multipart = "From: a@example.org\nSubject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n" +
        "--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nGr=C3=BC=C3=9Fe, a long line that is =\nbroken softly.\n" +
        "--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAw0KAP9oaQ==\n" +
        "--B\nContent-Type: message/rfc822\n\nFrom: inner@example.org\nContent-Transfer-Encoding: base64\nSubject: inner\n\naW5uZXIgYm9keQ==\n" +
        "--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße 8bit\n" +
        "--B\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nplain\n--B--\n";

    private const string SinglePart = "From: b@example.org\nSubject: single\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n" +
        "Content-Transfer-Encoding: base64 (a comment)\n\nSGVsbG8sIHdvcmxkIQ==\n";

    // Part 1 in an encoding nobody knows.
    private const string Unknown = "From: u@example.org\nSubject: unknown\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"U\"\n\n" +
        "--U\nContent-Type: application/x-thing\nContent-Transfer-Encoding: x-frobnicated\n\n???\n--U\nContent-Type: text/plain\n\nknown\n--U--\n";

    private ImapTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = ImapTestHost.Start();
        await _host.DeliverAsync("alice", Multipart);
        await _host.DeliverAsync("alice", SinglePart);
        await _host.DeliverAsync("alice", Unknown);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<RawImapClient> SelectAsync(int port, string command = "EXAMINE INBOX")
    {
        var imap = await RawImapClient.ConnectAsync(port);
        Assert.StartsWith("a1 OK", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
        Assert.StartsWith("a2 OK", (await imap.CommandAsync(command))[^1]);
        return imap;
    }

    /// <summary>The whole answer, tagged line's status and code only (the human text differs between servers).</summary>
    private static async Task<string> AnswerAsync(RawImapClient imap, string command)
    {
        var lines = await imap.CommandAsync(command);
        var tagged = lines[^1].Split(' ');
        var status = tagged[1] + (tagged.Length > 2 && tagged[2].StartsWith('[') ? " " + tagged[2] : "");
        return string.Join("\n", lines.SkipLast(1).Append(status));
    }

    private static readonly string[] Commands =
    [
        "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])", "FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])", "FETCH 1 BINARY.PEEK[2]<1.4>", "FETCH 1 BINARY.PEEK[2]<6.4>",
        "FETCH 1 BINARY.PEEK[2]<1.3>", "FETCH 1 (BINARY.PEEK[3] BINARY.SIZE[3])", "FETCH 1 (BINARY.PEEK[3.1] BINARY.SIZE[3.1])",
        "FETCH 1 (BINARY.PEEK[4] BINARY.SIZE[4])", "FETCH 1 (BINARY.PEEK[5] BINARY.SIZE[5])", "FETCH 1 (BINARY.PEEK[] BINARY.SIZE[])",
        "FETCH 1 BINARY.PEEK[]<100.60>", "FETCH 1 BINARY.PEEK[9]", "FETCH 1 BINARY.SIZE[9]", "UID FETCH 1 BINARY.PEEK[1]<0.3>",
        "FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1])", "FETCH 2 (BINARY.PEEK[] BINARY.SIZE[])", "FETCH 3 BINARY.PEEK[1]", "FETCH 3 BINARY.SIZE[1]",
        "FETCH 3 BINARY.PEEK[]", "FETCH 4:5 (BINARY.PEEK[1] BINARY.SIZE[1])", "FETCH 5 (BINARY.PEEK[] BINARY.SIZE[])", "FETCH 1:2 (UID BINARY.SIZE[1])",
    ];

    [Fact]
    public async Task BINARY_decodes_parts_sizes_and_partials_with_literal8_and_UNKNOWN_CTE_for_what_cannot_be_decoded()
    {
        await using var imap = await SelectAsync(_host.Port);
        Assert.Contains(" BINARY", await AnswerAsync(imap, "CAPABILITY"));
        // Quoted-printable undone: UTF-8 octets, the soft line break gone (the line end before a boundary is the boundary's).
        Assert.Equal("* 1 FETCH (BINARY[1] ~{43}\nGrüße, a long line that is broken softly. BINARY.SIZE[1] 43)\nOK",
            await AnswerAsync(imap, "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])"));
        // Base64 undone: 00 01 02 03 CR LF 00 FF 'h' 'i'.
        Assert.Equal("* 1 FETCH (BINARY[2] ~{10}\n\0\u0001\u0002\u0003\n\0\ufffdhi BINARY.SIZE[2] 10)\nOK", await AnswerAsync(imap, "FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])"));
        Assert.Equal("* 1 FETCH (BINARY[2]<6> ~{4}\n\0\ufffdhi)\nOK", await AnswerAsync(imap, "FETCH 1 BINARY.PEEK[2]<6.4>"));
        Assert.Equal("* 1 FETCH (BINARY[2]<1> ~{3}\n\u0001\u0002\u0003)\nOK", await AnswerAsync(imap, "FETCH 1 BINARY.PEEK[2]<1.3>"));
        // An attached message: its base64 body decoded and its header saying so.
        Assert.Equal("* 1 FETCH (BINARY[3] ~{88}\nFrom: inner@example.org\nSubject: inner\nContent-Transfer-Encoding: binary\n\ninner body BINARY.SIZE[3] 88)\nOK",
            await AnswerAsync(imap, "FETCH 1 (BINARY.PEEK[3] BINARY.SIZE[3])"));
        Assert.Equal("* 1 FETCH (BINARY[3.1] ~{10}\ninner body BINARY.SIZE[3.1] 10)\nOK", await AnswerAsync(imap, "FETCH 1 (BINARY.PEEK[3.1] BINARY.SIZE[3.1])"));
        // 8bit and 7bit are as stored, in an ordinary literal.
        Assert.Equal("* 1 FETCH (BINARY[4] {12}\nGrüße 8bit BINARY.SIZE[4] 12)\nOK", await AnswerAsync(imap, "FETCH 1 (BINARY.PEEK[4] BINARY.SIZE[4])"));
        Assert.Equal("* 1 FETCH (BINARY[5] {5}\nplain BINARY.SIZE[5] 5)\nOK", await AnswerAsync(imap, "FETCH 1 (BINARY.PEEK[5] BINARY.SIZE[5])"));
        Assert.Equal("* 1 FETCH (BINARY[9] {0}\n)\nOK", await AnswerAsync(imap, "FETCH 1 BINARY.PEEK[9]"));
        // A single-part message: part 1 is its body (a comment after the encoding is allowed); [] the whole message converted.
        Assert.Equal("* 2 FETCH (BINARY[1] ~{13}\nHello, world! BINARY.SIZE[1] 13)\nOK", await AnswerAsync(imap, "FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1])"));
        Assert.Equal("* 2 FETCH (BINARY[] ~{148}\nFrom: b@example.org\nSubject: single\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n" +
            "Content-Transfer-Encoding: binary\n\nHello, world!)\nOK", await AnswerAsync(imap, "FETCH 2 BINARY.PEEK[]"));
        // RFC 3516 4.3: an encoding nobody can undo, in the part or anywhere inside the section.
        Assert.Equal("NO [UNKNOWN-CTE]", await AnswerAsync(imap, "FETCH 3 BINARY.PEEK[1]"));
        Assert.Equal("NO [UNKNOWN-CTE]", await AnswerAsync(imap, "FETCH 3 BINARY.SIZE[1]"));
        Assert.Equal("NO [UNKNOWN-CTE]", await AnswerAsync(imap, "FETCH 3 BINARY.PEEK[]"));
        Assert.Equal("* 3 FETCH (BINARY[2] {5}\nknown)\nOK", await AnswerAsync(imap, "FETCH 3 BINARY.PEEK[2]"));
        // Only part numbers: BINARY[1.HEADER] is not BINARY's grammar, nor is a partial of BINARY.SIZE.
        Assert.StartsWith("BAD", await AnswerAsync(imap, "FETCH 1 BINARY.PEEK[1.HEADER]"));
        Assert.StartsWith("BAD", await AnswerAsync(imap, "FETCH 1 BINARY.SIZE[1]<0.2>"));
    }

    [Fact]
    public async Task BINARY_without_PEEK_sets_Seen_and_PEEK_does_not()
    {
        await using var imap = await SelectAsync(_host.Port, "SELECT INBOX");
        Assert.Equal("* 1 FETCH (BINARY[5] {5}\nplain)\nOK", await AnswerAsync(imap, "FETCH 1 BINARY.PEEK[5]"));
        Assert.Equal("* 1 FETCH (FLAGS (\\Recent))\nOK", await AnswerAsync(imap, "FETCH 1 FLAGS"));
        Assert.Equal("* 2 FETCH (BINARY[1] ~{13}\nHello, world! FLAGS (\\Seen \\Recent))\nOK", await AnswerAsync(imap, "FETCH 2 BINARY[1]"));
        // A failing BINARY sets nothing.
        Assert.Equal("NO [UNKNOWN-CTE]", await AnswerAsync(imap, "FETCH 3 BINARY[1]"));
        Assert.Equal("* 3 FETCH (FLAGS (\\Recent))\nOK", await AnswerAsync(imap, "FETCH 3 FLAGS"));
    }

    private static readonly byte[] BinaryMessage = Encoding.Latin1.GetBytes("From: c@example.org\r\nSubject: binary\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\0\u0001\u00ff\r\nend\r\n");

    /// <summary>APPENDs <see cref="BinaryMessage"/> as a literal8, with LITERAL+ and then synchronizing: UIDs 3 and 4.</summary>
    private async Task AppendBinaryAsync()
    {
        await using var imap = await SelectAsync(_host.Port, "SELECT INBOX");
        await imap.SendAsync($"a3 APPEND INBOX ~{{{BinaryMessage.Length}+}}\r\n");
        await imap.SendAsync(BinaryMessage);
        await imap.SendAsync("\r\n");
        Assert.Matches(@"^a3 OK \[APPENDUID \d+ 4\]", (await imap.ReadUntilTagAsync("a3"))[^1]);
        await imap.SendAsync($"a4 APPEND INBOX (\\Seen) ~{{{BinaryMessage.Length}}}\r\n");
        Assert.StartsWith("+", await imap.ReadLineAsync());
        await imap.SendAsync(BinaryMessage);
        await imap.SendAsync("\r\n");
        Assert.Matches(@"^a4 OK \[APPENDUID \d+ 5\]", (await imap.ReadUntilTagAsync("a4"))[^1]);
    }

    [Fact]
    public async Task APPEND_of_a_literal8_stores_the_octets_and_BINARY_gives_them_back()
    {
        await AppendBinaryAsync();
        var stored = _host.MessageFiles("alice").Select(File.ReadAllBytes).Where(b => Encoding.Latin1.GetString(b).Contains("Subject: binary")).ToList();
        Assert.Equal(2, stored.Count);
        // Stored as Dovecot stores Maildir mail, with LF line ends; every other octet as sent.
        Assert.All(stored, b => Assert.Equal(Encoding.Latin1.GetString(BinaryMessage).Replace("\r\n", "\n"), Encoding.Latin1.GetString(b)));
        await using var imap = await SelectAsync(_host.Port);
        Assert.Equal("* 4 FETCH (BINARY[1] ~{10}\n\0\u0001\ufffd\nend\n BINARY.SIZE[1] 10)\nOK", await AnswerAsync(imap, "FETCH 4 (BINARY.PEEK[1] BINARY.SIZE[1])"));
    }

    [Fact]
    public async Task Dovecot_on_the_same_Maildir_gives_the_same_BINARY_answers()
    {
        async Task<List<string>> AnswersAsync(int port)
        {
            await using var imap = await SelectAsync(port);
            var answers = new List<string>();
            foreach (var command in Commands)
            {
                // Dovecot sends "* n FETCH (UID n)" before its NO [UNKNOWN-CTE]; the NO is what matters.
                var answer = Regex.Replace(await AnswerAsync(imap, command), @"^\* \d+ FETCH \(UID \d+\)\nNO", "NO");
                answers.Add(command + " => " + answer);
            }
            return answers;
        }
        await AppendBinaryAsync();
        var ours = await AnswersAsync(_host.Port);
        using var dovecot = DovecotServer.Start([new DovecotUser("alice", "secret", "maildir:" + _host.Store.PathFor("alice"))]);
        var theirs = await AnswersAsync(dovecot.ImapPort);
        Assert.Equal(string.Join("\n\n", theirs), string.Join("\n\n", ours));
        Assert.Empty(dovecot.LogProblems());
    }

    [Fact]
    public async Task A_broken_part_without_a_blank_line_or_body_is_answered_and_the_session_goes_on()
    {
        await _host.DeliverAsync("alice", "From: x@example.org\nSubject: broken\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"X\"\n\n" +
            "--X\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n--X\nContent-Transfer-Encoding: quoted-printable\n\nok=21\n--X--\n");
        await using var imap = await SelectAsync(_host.Port);
        Assert.Equal("* 4 FETCH (BINARY[2] ~{3}\nok!)\nOK", await AnswerAsync(imap, "FETCH 4 BINARY.PEEK[2]"));
        var whole = await AnswerAsync(imap, "FETCH 4 (BINARY.PEEK[] BINARY.SIZE[1])");
        Assert.EndsWith("\nOK", whole);
        Assert.Contains("ok!", whole);
        Assert.Equal("OK", await AnswerAsync(imap, "NOOP"));
    }
}
