using System.Net;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Probes;

namespace MailOps.Engine.Tests.Probes;

/// <summary>The probe's Result against smtp-sink's fault injection: each refused stage is named, a 421 is rate limiting.</summary>
public sealed class SmtpProbeFaultTests
{
    private static SmtpProbeOptions Probe(SmtpSink sink, SmtpProbeStage? quitAfter = null, bool send = false) => new()
    {
        Host = "127.0.0.1",
        Port = sink.Port,
        From = "sender@probe.test",
        To = ["rcpt@probe.test"],
        Send = send,
        QuitAfter = quitAfter,
        Timeout = TimeSpan.FromSeconds(20),
    };

    private static SmtpSink Sink(params string[] flags) => SmtpSink.Start("127.0.0.1", NsdServerPort(), flags);

    private static int NsdServerPort() => MailOps.Tests.TestSupport.NsdServer.FreePort();

    [Fact]
    public async Task A_421_greeting_is_rate_limiting_not_a_missing_feature()
    {
        using var sink = Sink("-Q", "CONNECT");
        var r = await SmtpProbe.ProbeAsync(Probe(sink));
        Assert.Equal(SmtpProbeOutcome.RateLimited, r.Result);
        Assert.True(r.RateLimited);
        Assert.StartsWith("4.", r.Replies.Single().EnhancedCode);
        Assert.Equal(421, r.Replies.Single().Code);
        Assert.Null(r.Ehlo);
    }

    [Fact]
    public async Task A_5xx_greeting_fails_the_banner_stage()
    {
        using var sink = Sink("-f", "CONNECT");
        var r = await SmtpProbe.ProbeAsync(Probe(sink));
        Assert.Equal(SmtpProbeOutcome.Banner, r.Result);
        Assert.Equal((int)SmtpProbeOutcome.Banner, 21);
    }

    [Fact]
    public async Task Refused_ehlo_and_helo_fail_the_ehlo_stage()
    {
        using var sink = Sink("-f", "EHLO,HELO");
        var r = await SmtpProbe.ProbeAsync(Probe(sink));
        Assert.Equal(SmtpProbeOutcome.Ehlo, r.Result);
        Assert.Equal(["EHLO probe.mailops.invalid", "HELO probe.mailops.invalid"], r.Replies.Where(x => x.Stage == SmtpProbeStage.Ehlo).Select(x => x.Command));
    }

    [Fact]
    public async Task A_4xx_to_mail_from_fails_the_mail_stage()
    {
        using var sink = Sink("-r", "MAIL");
        var r = await SmtpProbe.ProbeAsync(Probe(sink));
        Assert.Equal(SmtpProbeOutcome.Mail, r.Result);
        var mail = r.Replies.Single(x => x.Stage == SmtpProbeStage.Mail);
        Assert.InRange(mail.Code, 400, 499);
    }

    [Fact]
    public async Task A_5xx_to_every_rcpt_fails_the_rcpt_stage()
    {
        using var sink = Sink("-f", "RCPT");
        var r = await SmtpProbe.ProbeAsync(Probe(sink));
        Assert.Equal(SmtpProbeOutcome.Rcpt, r.Result);
        Assert.Empty(r.AcceptedRecipients);
        Assert.InRange(r.Replies.Single(x => x.Stage == SmtpProbeStage.Rcpt).Code, 500, 599);
    }

    [Fact]
    public async Task A_refused_message_fails_the_data_stage()
    {
        using var sink = Sink("-f", "DATA,.");
        var r = await SmtpProbe.ProbeAsync(Probe(sink, send: true));
        Assert.Equal(SmtpProbeOutcome.Data, r.Result);
        Assert.Equal(["rcpt@probe.test"], r.AcceptedRecipients);
    }

    [Fact]
    public async Task A_421_in_the_middle_of_the_session_is_rate_limiting()
    {
        using var sink = Sink("-Q", "MAIL");
        var r = await SmtpProbe.ProbeAsync(Probe(sink));
        Assert.Equal(SmtpProbeOutcome.RateLimited, r.Result);
    }

    [Fact]
    public async Task Quit_after_mail_stops_cleanly_before_rcpt()
    {
        using var sink = Sink();
        var r = await SmtpProbe.ProbeAsync(Probe(sink, quitAfter: SmtpProbeStage.Mail));
        Assert.Equal(SmtpProbeOutcome.Success, r.Result);
        Assert.Equal(SmtpProbeStage.Mail, r.LastStage);
        Assert.DoesNotContain(r.Transcript, l => l.Text.StartsWith("RCPT", StringComparison.Ordinal));
        Assert.Equal("QUIT", r.Transcript.Last(l => l.Direction == ProbeDirection.Sent).Text);
        Assert.Equal(MailTlsMode.None, r.TlsMode);
        Assert.Null(r.Tls);
    }

    [Fact]
    public async Task A_message_sent_to_smtp_sink_arrives_with_its_headers()
    {
        using var sink = Sink();
        var r = await SmtpProbe.ProbeAsync(Probe(sink, send: true) is var o ? new SmtpProbeOptions
        {
            Host = o.Host, Port = o.Port, From = o.From, To = o.To, Send = true, Headers = [new("X-Sink-Case", "yes")], Body = ".leading dot\n",
        } : null!);
        Assert.True(r.Succeeded, r.Error);
        var dumped = Assert.Single(sink.Messages());
        Assert.Contains("X-Sink-Case: yes", dumped);
        Assert.Contains("\n.leading dot", dumped);
    }

    [Fact]
    public async Task Nothing_listening_is_a_connect_failure()
    {
        var r = await SmtpProbe.ProbeAsync(new SmtpProbeOptions { Host = "127.0.0.1", Port = NsdServerPort() });
        Assert.Equal(SmtpProbeOutcome.Connect, r.Result);
        Assert.NotNull(r.Error);
    }
}
