using System.Diagnostics;
using System.Net;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Probes;
using MailOps.Tests.TestSupport;

namespace MailOps.Engine.Tests.Probes;

/// <summary>
/// The CVE-2011-0411 check against a server that has the bug. No vulnerable MTA can be installed here (Postfix fixed it in
/// 2.8.4), so the server is a small Python SMTP responder that makes the original mistake on purpose: plain-text input
/// read ahead before STARTTLS stays in its buffer and is answered inside TLS. The fixed servers (Postfix, ours) are
/// proven not vulnerable in SmtpProbePostfixTests and SmtpProbeEngineTests.
/// </summary>
public sealed class StartTlsInjectionTests : IAsyncLifetime
{
    private const string Host = "mx.vulnerable.test";

    private const string VulnerableServer = """
        import socket, ssl, sys
        cert, key, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', port))
        listener.listen(5)
        print('listening', flush=True)
        while True:
            conn, _ = listener.accept()
            stream, pending = conn, b''
            def send(text):
                stream.sendall(text.encode() + b'\r\n')
            send('220 mx.vulnerable.test ESMTP')
            try:
                while True:
                    while b'\r\n' not in pending:
                        data = stream.recv(4096)
                        if not data:
                            raise EOFError
                        pending += data
                    line, pending = pending.split(b'\r\n', 1)
                    verb = line.split(b' ')[0].upper()
                    if verb == b'EHLO':
                        send('250-mx.vulnerable.test\r\n250 STARTTLS')
                    elif verb == b'STARTTLS':
                        send('220 2.0.0 Ready to start TLS')
                        # The bug: what was read ahead in plain text (pending) is kept and answered after the handshake.
                        stream = context.wrap_socket(conn, server_side=True)
                    elif verb == b'QUIT':
                        send('221 2.0.0 Bye')
                        break
                    else:
                        send('250 2.0.0 Ok')
            except (EOFError, OSError, ssl.SSLError):
                pass
            stream.close()
        """;

    private OpensslCertificateAuthority _ca = null!;
    private IssuedCertificate _certificate = null!;

    public async Task InitializeAsync()
    {
        _ca = await OpensslCertificateAuthority.CreateAsync();
        _certificate = await _ca.IssueAsync(Host);
    }

    public Task DisposeAsync()
    {
        _ca.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_server_that_answers_plain_text_pipelined_after_STARTTLS_inside_TLS_is_reported_vulnerable()
    {
        int port = TestPorts.Next();
        using var server = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", VulnerableServer, _certificate.CertificatePath, _certificate.KeyPath, port.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            Assert.Equal("listening", await server.StandardOutput.ReadLineAsync());
            var r = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
            {
                Host = Host, Address = IPAddress.Loopback, Port = port, TrustedRoots = _ca.TrustStore,
                TestStartTlsInjection = true, QuitAfter = SmtpProbeStage.Ehlo,
            });
            Assert.True(r.StartTlsInjection, string.Join("\n", r.Transcript.Select(l => l.ToString())));
        }
        finally
        {
            server.Kill(true);
        }
    }
}
