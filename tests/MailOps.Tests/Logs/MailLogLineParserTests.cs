using MailOps.Logs;

namespace MailOps.Tests.Logs;

/// <summary>Lines as Postfix 3.7, Dovecot 2.3 and the bundled server wrote them (see <see cref="LogFixtures"/>), parsed into typed entries.</summary>
public sealed class MailLogLineParserTests
{
    private static string Line(string fixture, string contains) => LogFixtures.Lines(fixture).First(l => l.Contains(contains, StringComparison.Ordinal));

    [Fact]
    public void A_virtual_delivery_line_gives_the_recipient_relay_delays_dsn_and_status()
    {
        var e = Assert.IsType<MailLogDeliveryEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "to=<alice@example.test>, relay=virtual, delay=0.01")));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 8, 55, 16, TimeSpan.Zero), e.Time);
        Assert.Equal("mx1", e.HostName);
        Assert.Equal("postfix/virtual", e.Program);
        Assert.Equal("virtual", e.Service);
        Assert.NotNull(e.Pid);
        Assert.Equal("6A9D6B2C322", e.QueueId);
        Assert.Equal(MailLogEventKind.Delivery, e.Kind);
        Assert.Equal("alice@example.test", e.Recipient);
        Assert.Equal("virtual", e.Relay);
        Assert.Equal(0.01, e.Delay);
        Assert.Equal("0.01/0/0/0", e.Delays);
        Assert.Equal("2.0.0", e.Dsn);
        Assert.Equal(MailLogDeliveryStatus.Sent, e.Status);
        Assert.Equal("delivered to maildir", e.Reason);
    }

    [Fact]
    public void A_relay_to_the_next_postfix_names_the_next_queue_id()
    {
        var e = Assert.IsType<MailLogDeliveryEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "to=<zoe@far.test>")));
        Assert.Equal("127.0.0.1[127.0.0.1]:10025", e.Relay);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", e.Reason);
        Assert.Equal(e.Reason[^11..], e.NextQueueId);
        Assert.Contains($"{e.NextQueueId}: client=", File.ReadAllText(LogFixtures.Path("postfix-mx2.log")));
    }

    [Fact]
    public void A_bounce_keeps_the_remote_reply_with_its_commas_and_parentheses()
    {
        var e = Assert.IsType<MailLogDeliveryEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "to=<ghost@far.test>")));
        Assert.Equal(MailLogDeliveryStatus.Bounced, e.Status);
        Assert.Equal("5.1.1", e.Dsn);
        Assert.Equal("host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <ghost@far.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)", e.Reason);
    }

    [Fact]
    public void Local_forwarding_is_sent_and_forwarded_with_the_new_queue_id_and_the_next_delivery_has_orig_to()
    {
        var forward = Assert.IsType<MailLogDeliveryEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "forwarded as")));
        Assert.True(forward.Forwarded);
        Assert.Equal("local", forward.Relay);
        var next = Assert.IsType<MailLogDeliveryEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "orig_to=<fwd@local.test>")));
        Assert.Equal(forward.NextQueueId, next.QueueId);
        Assert.Equal("alice@example.test", next.Recipient);
        Assert.Equal("fwd@local.test", next.OriginalRecipient);
    }

    [Fact]
    public void A_deferral_keeps_its_reason()
    {
        var e = Assert.IsType<MailLogDeliveryEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "to=<y@dead.test>")));
        Assert.Equal(MailLogDeliveryStatus.Deferred, e.Status);
        Assert.Equal("none", e.Relay);
        Assert.Equal("connect to 127.0.0.1[127.0.0.1]:1: Connection refused", e.Reason);
    }

    [Fact]
    public void An_smtpd_reject_gives_stage_client_code_dsn_reason_and_envelope()
    {
        var e = Assert.IsType<MailLogRejectEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "Relay access denied")));
        Assert.Null(e.QueueId);
        Assert.Equal("reject", e.Action);
        Assert.Equal("RCPT", e.Stage);
        Assert.Equal("localhost", e.ClientName);
        Assert.Equal("127.0.0.1", e.ClientAddress);
        Assert.Equal(454, e.ReplyCode);
        Assert.Equal("4.7.1", e.Dsn);
        Assert.Equal("<someone@elsewhere.org>: Relay access denied", e.Reason);
        Assert.Equal("other@example.org", e.Sender);
        Assert.Equal("someone@elsewhere.org", e.Recipient);
        Assert.Equal("ESMTP", e.Protocol);
        Assert.Equal("client.example.net", e.Helo);
    }

    [Fact]
    public void A_reject_warning_and_cleanups_header_actions_are_rejects_with_their_action()
    {
        var warning = Assert.IsType<MailLogRejectEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "reject_warning:")));
        Assert.Equal("reject_warning", warning.Action);
        Assert.Equal("nofqdn", warning.Helo);
        var hold = Assert.IsType<MailLogRejectEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "hold: header")));
        Assert.Equal(("hold", "header", "Subject: hold-me", "localhost"), (hold.Action, hold.Stage, hold.Reason, hold.ClientName));
        Assert.NotNull(hold.QueueId);
        var reject = Assert.IsType<MailLogRejectEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "reject: header")));
        Assert.Equal(("reject", "5.7.1", "alice@example.test"), (reject.Action, reject.Dsn, reject.Recipient));
    }

    [Fact]
    public void Connect_client_message_id_queue_removed_and_notification_lines_are_typed()
    {
        var connect = Assert.IsType<MailLogConnectEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "connect from localhost")));
        Assert.Equal((MailLogEventKind.Connect, "localhost", "127.0.0.1"), (connect.Kind, connect.ClientName, connect.ClientAddress));
        var disconnect = Assert.IsType<MailLogConnectEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "commands=3/4")));
        Assert.Equal("ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4", disconnect.Commands);
        var client = Assert.IsType<MailLogClientEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "client=localhost")));
        Assert.Equal(("localhost", "127.0.0.1"), (client.ClientName, client.ClientAddress));
        var id = Assert.IsType<MailLogMessageIdEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "message-id=<m1@")));
        Assert.Equal("<m1@example.net>", id.MessageId);
        var queued = Assert.IsType<MailLogQueueEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "nrcpt=2")));
        Assert.Equal(("Sender@Example.NET", 429L, 2), (queued.Sender, queued.Size!.Value, queued.RecipientCount!.Value));
        var nullSender = Assert.IsType<MailLogQueueEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "from=<>, size=")));
        Assert.Equal("", nullSender.Sender);
        Assert.Equal(MailLogEventKind.Removed, LogFixtures.Parse(Line("postfix-mx1.log", ": removed")).Kind);
        var notice = Assert.IsType<MailLogNotificationEntry>(LogFixtures.Parse(Line("postfix-mx1.log", "non-delivery notification")));
        Assert.Equal("sender non-delivery", notice.Notification);
        Assert.Equal(11, notice.NotificationQueueId.Length);
        var warning = Assert.IsType<MailLogProblemEntry>(LogFixtures.Parse(Line("mailops.log", "]: warning: ")));
        Assert.Equal("warning", warning.Severity);
        Assert.Equal("unknown[127.0.0.1]: SASL LOGIN authentication failed: authentication failure", warning.Message);
        Assert.Equal(MailLogEventKind.Other, LogFixtures.Parse(Line("postfix-mx1.log", "daemon started")).Kind);
    }

    [Fact]
    public void The_bundled_servers_lines_parse_like_postfix_ones_with_its_long_queue_ids_and_sasl_user()
    {
        var entries = LogFixtures.Entries("mailops.log");
        Assert.All(entries, e => Assert.StartsWith("mailops/", e.Program));
        var sasl = Assert.Single(entries.OfType<MailLogClientEntry>(), c => c.SaslUsername is not null);
        Assert.Equal(("PLAIN", "alice@example.test", 16), (sasl.SaslMethod, sasl.SaslUsername!, sasl.QueueId!.Length));
        var alias = Assert.Single(entries.OfType<MailLogDeliveryEntry>(), d => d.OriginalRecipient is not null);
        Assert.Equal(("alice@example.test", "info@example.test", "local"), (alias.Recipient, alias.OriginalRecipient!, alias.Relay));
        Assert.Single(entries.OfType<MailLogProblemEntry>(), p => p.Message.Contains("SASL LOGIN authentication failed"));
        Assert.DoesNotContain(entries, e => e.Kind == MailLogEventKind.Other);
    }

    [Fact]
    public void Dovecots_own_log_gives_logins_failures_logouts_and_lmtp_saves()
    {
        var entries = LogFixtures.Entries("dovecot.log");
        Assert.All(entries, e => Assert.Null(e.HostName));
        var login = Assert.Single(entries.OfType<DovecotLoginEntry>(), l => l.Kind == MailLogEventKind.Login && l.Protocol == "imap");
        Assert.Equal(("carol@lmtp.test", "PLAIN", "127.0.0.1", "127.0.0.1", true, false), (login.User!, login.Method!, login.RemoteAddress!, login.LocalAddress!, login.Secured, login.Tls));
        Assert.Equal("imap-login", login.Service);
        Assert.NotNull(login.Session);
        var failed = Assert.Single(entries.OfType<DovecotLoginEntry>(), l => l.Kind == MailLogEventKind.LoginFailed);
        Assert.StartsWith("Connection closed (auth failed, 1 attempts", failed.Reason);
        var logout = Assert.Single(entries.OfType<DovecotLoginEntry>(), l => l.Kind == MailLogEventKind.Logout && l.Protocol == "imap");
        Assert.Equal(login.Session, logout.Session);
        Assert.StartsWith("Logged out in=", logout.Reason);
        var saves = entries.OfType<DovecotDeliveryEntry>().ToList();
        Assert.Equal(["carol@lmtp.test", "dan@lmtp.test"], saves.Select(s => s.User));
        Assert.All(saves, s => Assert.Equal(("lmtp", "<m7@example.org>", "INBOX"), (s.Protocol, s.MessageId!, s.Mailbox)));
        var warning = Assert.Single(entries.OfType<MailLogProblemEntry>());
        Assert.StartsWith("Killed with signal 15", warning.Message);
    }

    [Theory]
    // A real Dovecot login line (module/samples/dovecot.log) as syslog (rsyslog's traditional and high-precision
    // templates) and journalctl -o short-iso render it: the header rewritten by hand, the message as Dovecot wrote it.
    [InlineData("Nov 28 08:54:30 mail dovecot: imap-login: Login: user=<carol@lmtp.test>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, mpid=31368, TLS, session=<xv8iU1JhmtR/AAAB>", "2026-11-28T08:54:30+00:00")]
    [InlineData("2026-11-28T09:54:30.123456+01:00 mail dovecot: imap-login: Login: user=<carol@lmtp.test>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, mpid=31368, TLS, session=<xv8iU1JhmtR/AAAB>", "2026-11-28T08:54:30.123456+00:00")]
    [InlineData("2026-11-28T09:54:30+0100 mail dovecot[812]: imap-login: Login: user=<carol@lmtp.test>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, mpid=31368, TLS, session=<xv8iU1JhmtR/AAAB>", "2026-11-28T08:54:30+00:00")]
    public void A_dovecot_login_through_syslog_or_the_journal_reads_the_same(string line, string utc)
    {
        var e = Assert.IsType<DovecotLoginEntry>(LogFixtures.Parse(line));
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), e.Time);
        Assert.Equal(("mail", "dovecot", "imap-login", "carol@lmtp.test", "192.0.2.7", true), (e.HostName!, e.Program, e.Service, e.User!, e.RemoteAddress!, e.Tls));
    }

    [Theory]
    [InlineData("2026-11-28T08:54:29.512034+00:00 mx1 postfix/smtp[31262]: 84005B2A4D3: to=<zoe@far.test>, relay=127.0.0.1[127.0.0.1]:10025, delay=0.04, delays=0/0.01/0.02/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8D72CB2A599)")]
    [InlineData("2026-11-28T08:54:29Z mx1 postfix/smtp[31262]: 84005B2A4D3: to=<zoe@far.test>, relay=127.0.0.1[127.0.0.1]:10025, delay=0.04, delays=0/0.01/0.02/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8D72CB2A599)")]
    [InlineData("Nov 28 08:54:29.512034 mx1 postfix/smtp[31262]: 84005B2A4D3: to=<zoe@far.test>, relay=127.0.0.1[127.0.0.1]:10025, delay=0.04, delays=0/0.01/0.02/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8D72CB2A599)")]
    [InlineData("Nov 28 08:54:29 mx1 postfix/smtp[31262]: 84005B2A4D3: to=<zoe@far.test>, relay=127.0.0.1[127.0.0.1]:10025, delay=0.04, delays=0/0.01/0.02/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8D72CB2A599)")]
    public void A_postfix_line_reads_the_same_in_every_timestamp_format(string line)
    {
        var e = Assert.IsType<MailLogDeliveryEntry>(LogFixtures.Parse(line));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 8, 54, 29, TimeSpan.Zero), new DateTimeOffset(e.Time.UtcDateTime.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero));
        Assert.Equal(("84005B2A4D3", "8D72CB2A599", "smtp"), (e.QueueId!, e.NextQueueId!, e.Service));
    }

    [Fact]
    public void A_submission_smtpd_keeps_its_program_and_is_an_smtpd()
    {
        var e = Assert.IsType<MailLogClientEntry>(LogFixtures.Parse("Nov  8 07:01:02 mx postfix/submission/smtpd[4711]: 3F1A2B3C4D: client=mua.example.net[192.0.2.9]:51234, sasl_method=PLAIN, sasl_username=alice"));
        Assert.Equal(("postfix/submission/smtpd", "smtpd", "alice", "192.0.2.9"), (e.Program, e.Service, e.SaslUsername!, e.ClientAddress!));
        Assert.Equal(8, e.Time.Day);
    }

    [Fact]
    public void Journalctl_notes_and_blank_lines_are_not_entries()
    {
        var parser = new MailLogLineParser(LogFixtures.Clock());
        Assert.Null(parser.Parse("-- Logs begin at Sat 2026-11-28 08:00:00 UTC, end at Sat 2026-11-28 09:00:00 UTC. --"));
        Assert.Null(parser.Parse(""));
        Assert.Null(parser.Parse("not a log line"));
    }
}
