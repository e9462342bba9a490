using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailOps.Engine.Listeners;
using MailOps.Engine.Queue;
using Envelope = MailOps.Engine.Queue.Envelope;
using MimeKit;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>Real SMTP clients (MailKit, swaks, Python smtplib, Postfix smtp-source) against the listener on 127.0.0.1.</summary>
public sealed class RealClientTests
{
    internal static MimeMessage Message(string from, string to, string subject = "Hello")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Hi there.\n.leading dot line\nBye." };
        return message;
    }

    [Fact]
    public async Task A_message_sent_with_MailKit_lands_in_incoming_with_its_envelope_and_a_Received_header()
    {
        await using var server = TestServer.Start();
        using var log = new MemoryStream();
        using (var client = new SmtpClient(new ProtocolLogger(log, leaveOpen: true)))
        {
            await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None);
            await client.SendAsync(Message("sender@remote.test", "alice@local.test", "Plain hello"));
            await client.DisconnectAsync(true);
        }

        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal("sender@remote.test", envelope.Sender);
        Assert.Equal("alice@local.test", Assert.Single(envelope.Recipients).Address);
        Assert.Equal(RecipientStatus.Pending, envelope.Recipients[0].Status);
        Assert.Equal("127.0.0.1", envelope.ClientAddress);
        Assert.False(envelope.Tls);
        Assert.Null(envelope.AuthUser);
        string content = server.Content(envelope.QueueId);
        Assert.StartsWith("Received: from ", content);
        Assert.Contains($"by mx.local.test (MailOps) with ESMTP id {envelope.QueueId}\r\n\tfor <alice@local.test>;", content);
        Assert.Contains("Subject: Plain hello\r\n", content);
        Assert.Contains("\r\n.leading dot line\r\n", content); // dot-stuffing (or BDAT) undone
        using (var stored = server.Queue.OpenContent(QueueState.Incoming, envelope.QueueId)) Assert.Equal(stored.Length, envelope.Size);
        Assert.Contains("C: DATA", System.Text.Encoding.UTF8.GetString(log.ToArray()));
    }

    [Fact]
    public async Task MailKit_sends_binary_data_with_BDAT_chunks_when_CHUNKING_and_BINARYMIME_are_advertised()
    {
        await using var server = TestServer.Start();
        using var log = new MemoryStream();
        using (var client = new ChunkingSmtpClient(new ProtocolLogger(log, leaveOpen: true)))
        {
            await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None);
            await client.SendAsync(Message("sender@remote.test", "bob@local.test", "Chunked"));
            await client.DisconnectAsync(true);
        }

        string conversation = System.Text.Encoding.UTF8.GetString(log.ToArray());
        Assert.Contains("C: BDAT", conversation);
        Assert.Contains(" LAST", conversation);
        Assert.DoesNotContain("C: DATA", conversation);
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        string content = server.Content(envelope.QueueId);
        Assert.Contains("Subject: Chunked\r\n", content);
        Assert.Contains("\r\n.leading dot line\r\n", content); // BDAT carries the dot as it is
    }

    [Fact]
    public async Task MailKit_submits_over_STARTTLS_with_AUTH_PLAIN_and_may_relay_once_authenticated()
    {
        await using var server = TestServer.Start(SmtpListenerKind.Submission);
        using (var client = new SmtpClient())
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.StartTls);
            Assert.True(client.IsSecure);
            Assert.Contains("PLAIN", client.AuthenticationMechanisms);
            client.AuthenticationMechanisms.Remove("LOGIN");
            await client.AuthenticateAsync("alice@local.test", "secret");
            await client.SendAsync(Message("alice@local.test", "friend@far-away.example"));
            await client.DisconnectAsync(true);
        }

        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal("alice@local.test", envelope.AuthUser);
        Assert.True(envelope.Tls);
        Assert.Equal("friend@far-away.example", envelope.Recipients[0].Address);
        Assert.Contains(" with ESMTPSA id ", server.Content(envelope.QueueId));
        Assert.Contains(server.Events.All, e => e.Kind == Engine.Smtp.SmtpSessionEventKind.Authenticated);
    }

    [Fact]
    public async Task MailKit_submits_over_implicit_TLS_on_a_465_style_listener()
    {
        await using var server = TestServer.Start(SmtpListenerKind.SubmissionTls);
        using (var client = new SmtpClient())
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.SslOnConnect);
            client.AuthenticationMechanisms.Remove("PLAIN");
            await client.AuthenticateAsync("alice@local.test", "secret"); // LOGIN this time
            await client.SendAsync(Message("alice@local.test", "bob@local.test"));
            await client.DisconnectAsync(true);
        }

        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.True(envelope.Tls);
        Assert.Equal("alice@local.test", envelope.AuthUser);
    }

    [Fact]
    public async Task MailKit_DSN_requests_are_kept_with_the_envelope()
    {
        await using var server = TestServer.Start();
        using (var client = new DsnSmtpClient())
        {
            client.DeliveryStatusNotificationType = DeliveryStatusNotificationType.HeadersOnly;
            await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None);
            await client.SendAsync(Message("sender@remote.test", "alice@local.test"));
            await client.DisconnectAsync(true);
        }

        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal("HDRS", envelope.Ret);
        Assert.Equal("envid-42", envelope.EnvelopeId);
        Assert.Equal("SUCCESS,FAILURE", envelope.Recipients[0].Notify);
    }

    [Fact]
    public async Task Swaks_delivers_a_message_to_a_local_recipient()
    {
        await using var server = TestServer.Start();
        var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync(
            "swaks", "--server", $"127.0.0.1:{server.Port}", "--from", "swaks@remote.test", "--to", "alice@local.test", "--helo", "swaks.test");
        Assert.True(exit == 0, output);
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Contains($"queued as {envelope.QueueId}", output);
        Assert.Equal("swaks.test", envelope.Helo);
        Assert.Equal("swaks@remote.test", envelope.Sender);
    }

    [Fact]
    public async Task Swaks_pipelines_its_commands_and_the_message_is_queued()
    {
        await using var server = TestServer.Start();
        var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync(
            "swaks", "--server", $"127.0.0.1:{server.Port}", "--pipeline", "--from", "p@remote.test", "--to", "alice@local.test,bob@local.test");
        Assert.True(exit == 0, output);
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal(["alice@local.test", "bob@local.test"], envelope.Recipients.Select(r => r.Address));
    }

    [Fact]
    public async Task Swaks_authenticates_after_STARTTLS_on_the_submission_listener()
    {
        await using var server = TestServer.Start(SmtpListenerKind.Submission);
        var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync(
            "swaks", "--server", $"127.0.0.1:{server.Port}", "--tls", "--auth", "PLAIN", "--auth-user", "alice@local.test",
            "--auth-password", "secret", "--from", "alice@local.test", "--to", "someone@elsewhere.example");
        Assert.True(exit == 0, output);
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal("alice@local.test", envelope.AuthUser);
        Assert.True(envelope.Tls);
    }

    [Fact]
    public async Task Swaks_with_a_wrong_password_gets_535_and_nothing_is_queued()
    {
        await using var server = TestServer.Start(SmtpListenerKind.Submission);
        var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync(
            "swaks", "--server", $"127.0.0.1:{server.Port}", "--tls", "--auth", "LOGIN", "--auth-user", "alice@local.test",
            "--auth-password", "wrong", "--from", "alice@local.test", "--to", "bob@local.test");
        Assert.NotEqual(0, exit);
        Assert.Contains("535 5.7.8", output);
        Assert.Empty(await server.IncomingAsync());
    }

    [Fact]
    public async Task Python_smtplib_sends_a_message_with_sendmail()
    {
        await using var server = TestServer.Start();
        string script = """
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
            s.ehlo('python.test')
            refused = s.sendmail('py@remote.test', ['alice@local.test', 'nobody@local.test'], 'Subject: from python\r\n\r\nhello\r\n')
            print(refused)
            s.quit()
            """;
        var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync("/usr/bin/python3", "-c", script, server.Port.ToString());
        Assert.True(exit == 0, output);
        Assert.Contains("550", output); // nobody@local.test was refused with 550 5.1.1, alice accepted
        Envelope envelope = Assert.Single(await server.IncomingAsync());
        Assert.Equal("alice@local.test", Assert.Single(envelope.Recipients).Address);
        Assert.Equal("python.test", envelope.Helo);
        Assert.Contains("Subject: from python", server.Content(envelope.QueueId));
    }

    [Fact]
    public async Task Postfix_smtp_source_sends_50_messages_over_5_sessions_and_all_are_queued()
    {
        await using var server = TestServer.Start();
        var (exit, output) = await TestSupport.ExternalProgram.RunForOutputAsync(
            "/usr/sbin/smtp-source", "-s", "5", "-m", "50", "-f", "a@x.test", "-t", "alice@local.test", $"127.0.0.1:{server.Port}");
        Assert.True(exit == 0, output);
        List<Envelope> queued = await server.IncomingAsync();
        Assert.Equal(50, queued.Count);
        Assert.All(queued, e => Assert.Equal("a@x.test", e.Sender));
        Assert.Equal(50, queued.Select(e => e.QueueId).Distinct().Count());
    }

    private sealed class ChunkingSmtpClient(IProtocolLogger logger) : SmtpClient(logger)
    {
        protected override bool PreferSendAsBinaryData => true;
    }

    private sealed class DsnSmtpClient : SmtpClient
    {
        protected override string GetEnvelopeId(MimeMessage message) => "envid-42";

        protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox) =>
            DeliveryStatusNotification.Success | DeliveryStatusNotification.Failure;
    }
}
