using System.Globalization;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Imap;

/// <summary>curl's IMAP and Python's imaplib against our listeners, with TLS as a client on another machine needs it.</summary>
public sealed class ImapCurlAndPythonTests : IAsyncLifetime
{
    private ImapTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = ImapTestHost.Start(plaintextOnLoopback: false);
        await _host.DeliverAsync("alice", "From: a@example.org\nSubject: first\nMessage-ID: <1@example.org>\n\nHello.\n");
        await _host.DeliverAsync("alice", "From: b@example.org\nSubject: second\nMessage-ID: <2@example.org>\n\nBody line 1\nBody line 2\n");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Curl_lists_folders_fetches_by_UID_and_section_and_searches_over_STARTTLS_and_IMAPS()
    {
        var cert = _host.WriteCertificatePem();
        // The folders exist once the user has logged in (the special-use ones are made then).
        var (code, list, error) = await ExternalProgram.RunAsync("curl", ["-sS", "--ssl-reqd", "--cacert", cert, "-u", "alice:secret", $"imap://127.0.0.1:{_host.Port}/"]);
        Assert.True(code == 0, error);
        Assert.Contains("* LIST (\\HasNoChildren) \".\" \"INBOX\"", list);
        Assert.Contains("* LIST (\\HasNoChildren \\Trash) \".\" \"Trash\"", list);

        (code, var message, error) = await ExternalProgram.RunAsync("curl", ["-sS", "--cacert", cert, "-u", "alice:secret", $"imaps://127.0.0.1:{_host.TlsPort}/INBOX;UID=2"]);
        Assert.True(code == 0, error);
        Assert.StartsWith("From: b@example.org\r\nSubject: second\r\n", message);
        Assert.EndsWith("Body line 2\r\n", message);

        (code, var text, error) = await ExternalProgram.RunAsync("curl", ["-sS", "-k", "-u", "alice:secret", $"imaps://127.0.0.1:{_host.TlsPort}/INBOX;UID=1/;SECTION=TEXT"]);
        Assert.True(code == 0, error);
        Assert.Equal("Hello.\r\n", text);

        (code, var search, error) = await ExternalProgram.RunAsync("curl", ["-sS", "-k", "-u", "alice:secret", "-X", "UID SEARCH SUBJECT second", $"imaps://127.0.0.1:{_host.TlsPort}/INBOX"]);
        Assert.True(code == 0, error);
        Assert.Equal("* SEARCH 2", search.Trim());

        (code, var examine, error) = await ExternalProgram.RunAsync("curl", ["-sS", "-k", "-u", "alice:secret", "-X", "EXAMINE INBOX", $"imaps://127.0.0.1:{_host.TlsPort}/"]);
        Assert.True(code == 0, error);
        Assert.Contains("* 2 EXISTS", examine);
    }

    [Fact]
    public async Task Curl_without_TLS_cannot_log_in()
    {
        var (code, _, _) = await ExternalProgram.RunAsync("curl", ["-sS", "-u", "alice:secret", $"imap://127.0.0.1:{_host.Port}/"]);
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task Python_imaplib_reads_flags_files_and_deletes_over_starttls_and_IMAP4_SSL()
    {
        var cert = _host.WriteCertificatePem();
        const string script = """
            import imaplib, ssl, sys
            port, tls_port, cafile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
            ctx = ssl.create_default_context(cafile=cafile)
            m = imaplib.IMAP4('127.0.0.1', port)
            assert 'LOGINDISABLED' in m.capabilities and 'STARTTLS' in m.capabilities, m.capabilities
            m.starttls(ssl_context=ctx)
            m.login('alice', 'secret')
            typ, data = m.select('INBOX')
            print('select', typ, data[0].decode())
            typ, data = m.search(None, 'SUBJECT', '"first"')
            print('search', data[0].decode())
            typ, data = m.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)')
            print('fetch', data[0][1].decode().strip())
            typ, data = m.store('1', '+FLAGS', '(\\Flagged $Python)')
            print('store', data[0].decode())
            typ, data = m.create('Filed')
            typ, data = m.copy('1', 'Filed')
            print('copy', typ, data[0].decode())
            typ, data = m.append('Filed', '(\\Seen)', imaplib.Time2Internaldate(1700000000), b'Subject: appended\r\n\r\nbody\r\n')
            print('append', typ, data[0].decode())
            m.store('2', '+FLAGS', '\\Deleted')
            typ, data = m.expunge()
            print('expunge', data[0].decode())
            typ, data = m.status('Filed', '(MESSAGES UIDNEXT)')
            print('status', data[0].decode())
            m.logout()
            s = imaplib.IMAP4_SSL('127.0.0.1', tls_port, ssl_context=ctx)
            s.login('alice', 'secret')
            s.select('INBOX', readonly=True)
            typ, data = s.uid('FETCH', '1:*', '(UID FLAGS)')
            print('after', data[0].decode())
            s.logout()
            """;
        var (code, output, error) = await ExternalProgram.RunAsync("/usr/bin/python3",
            ["-c", script, _host.Port.ToString(CultureInfo.InvariantCulture), _host.TlsPort.ToString(CultureInfo.InvariantCulture), cert]);
        Assert.True(code == 0, error + output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("select OK 2", lines[0]);
        Assert.Equal("search 1", lines[1]);
        Assert.Equal("fetch Subject: first", lines[2]);
        Assert.Equal("store 1 (FLAGS (\\Flagged \\Recent $Python))", lines[3]);
        Assert.StartsWith("copy OK [COPYUID ", lines[4]);
        Assert.Matches(@"^append OK \[APPENDUID \d+ 2\]", lines[5]);
        Assert.Equal("expunge 2", lines[6]);
        Assert.Equal("status \"Filed\" (MESSAGES 2 UIDNEXT 3)", lines[7]);
        Assert.Equal("after 1 (UID 1 FLAGS (\\Flagged $Python))", lines[8]);
    }
}
