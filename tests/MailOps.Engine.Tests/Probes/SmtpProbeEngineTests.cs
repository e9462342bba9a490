using System.Net;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Probes;

namespace MailOps.Engine.Tests.Probes;

/// <summary>The probe against our own bundled server (EmbeddedMailServer): STARTTLS with its self-signed certificate, AUTH on submission, a message queued.</summary>
public sealed class SmtpProbeEngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-probe-engine-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_bundled_server_refuses_relay_to_strangers_and_takes_a_message_on_submission_after_auth()
    {
        await using var server = await EmbeddedMailServer.StartAsync(_dir, "example.test", [], "secret", "alice");
        var mta = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = "127.0.0.1", Port = server.Port("SMTP"), SkipCertificateCheck = true, TestRelay = true, TestStartTlsInjection = true,
        });
        Assert.True(mta.Succeeded, mta.Error);
        Assert.Equal(MailTlsMode.StartTls, mta.TlsMode);
        Assert.False(mta.Tls!.ChainValid);
        Assert.Equal(mta.Tls.Issuer, mta.Tls.CertificateSubject);
        Assert.False(mta.Relay!.IsOpenRelay);
        Assert.Equal(16, mta.Relay.Attempts.Count);
        Assert.False(mta.StartTlsInjection);

        var submission = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = "127.0.0.1", Port = server.Port("Submission"), SkipCertificateCheck = true,
            Credential = new NetworkCredential("alice@example.test", "secret"),
            From = "alice@example.test", To = ["alice@example.test"], Send = true, Subject = "from the probe",
        });
        Assert.True(submission.Succeeded, submission.Error);
        Assert.Empty(submission.AuthBeforeTls);
        Assert.Contains("PLAIN", submission.AuthAfterTls);
        Assert.True(submission.Auth!.Succeeded);
        Assert.True(submission.UsedChunking);
        Assert.NotNull(submission.QueueId);
        server.WaitForLog(log => log.Contains(submission.QueueId!) && log.Contains("status=sent"), "delivery of " + submission.QueueId);
        var delivered = Directory.GetFiles(Path.Combine(_dir, "mail", "example.test", "alice", "Maildir", "new")).Single();
        Assert.Contains("Subject: from the probe", await File.ReadAllTextAsync(delivered));
    }
}
