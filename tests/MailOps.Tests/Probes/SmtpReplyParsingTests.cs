using System.Security.Authentication;
using MailOps.Probes;

namespace MailOps.Tests.Probes;

public sealed class SmtpReplyParsingTests
{
    [Fact]
    public void An_ehlo_reply_is_read_into_its_extensions_including_the_old_auth_equals_form()
    {
        var ehlo = SmtpEhlo.Parse(["mx.example.test Hello", "PIPELINING", "SIZE", "AUTH=LOGIN PLAIN", "AUTH PLAIN CRAM-MD5", "8BITMIME", "REQUIRETLS", "X-EXPS GSSAPI"]);
        Assert.Equal("mx.example.test Hello", ehlo.Greeting);
        Assert.Equal(0, ehlo.Size);
        Assert.Equal(["LOGIN", "PLAIN", "CRAM-MD5"], ehlo.AuthMechanisms);
        Assert.True(ehlo.Pipelining && ehlo.EightBitMime && ehlo.RequireTls);
        Assert.False(ehlo.Chunking || ehlo.StartTls || ehlo.SmtpUtf8);
        Assert.True(ehlo.Has("x-exps"));
        Assert.Null(SmtpEhlo.Parse(["mx"]).Size);
    }

    [Theory]
    [InlineData(250, "2.1.0 Ok", "2.1.0")]
    [InlineData(550, "5.7.1 <x@y>: Relay access denied", "5.7.1")]
    [InlineData(550, "2.1.0 class does not match the code", null)]
    [InlineData(220, "mx.example.test ESMTP", null)]
    [InlineData(421, "4.7.0 mx Error: too many connections", "4.7.0")]
    public void The_enhanced_status_code_is_read_only_when_its_class_matches_the_reply(int code, string text, string? expected) =>
        Assert.Equal(expected, SmtpReply.EnhancedCodeOf(code, text));

    [Theory]
    [InlineData("2.0.0 Ok: queued as 4Xbq1T2Vqrz9Wm", "4Xbq1T2Vqrz9Wm")]
    [InlineData("OK id=1tGx2E-0004cV-2Q", "1tGx2E-0004cV-2Q")]
    [InlineData("2.0.0 Ok", null)]
    public void The_queue_id_is_found_in_postfix_and_exim_replies(string text, string? expected) =>
        Assert.Equal(expected, SmtpProbe.QueueIdOf(text));

    [Theory]
    [InlineData(SslProtocols.Tls13, "TLS_AES_256_GCM_SHA384", "ECDHE")]
    [InlineData(SslProtocols.Tls12, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE")]
    [InlineData(SslProtocols.Tls12, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE")]
    [InlineData(SslProtocols.Tls12, "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA")]
    public void The_key_exchange_is_read_from_the_cipher_suite(SslProtocols protocol, string suite, string expected) =>
        Assert.Equal(expected, MailTlsDetails.KeyExchangeOf(protocol, suite));

    [Fact]
    public void The_relay_test_tries_sixteen_distinct_pairs_with_the_outside_domain_in_every_recipient()
    {
        var variants = SmtpRelayTest.Variants("example.net", "mx.example.test", "192.0.2.25");
        Assert.Equal(16, variants.Count);
        Assert.Equal(16, variants.Distinct().Count());
        Assert.All(variants, v => Assert.Contains("example.net", v.RcptTo));
        Assert.Contains(("<antispam@[192.0.2.25]>", "<@mx.example.test:relaytest@example.net>"), variants);
    }

    [Fact]
    public void Imap_response_lines_split_into_atoms_quoted_strings_and_lists()
    {
        Assert.Equal(["*", "LIST", "(\\HasNoChildren \\Sent)", ".", "Sent \"Items\""], ImapProbe.Tokenize("* LIST (\\HasNoChildren \\Sent) \".\" \"Sent \\\"Items\\\"\""));
        Assert.Equal(["*", "STATUS", "INBOX", "(MESSAGES 2 UNSEEN 1)"], ImapProbe.Tokenize("* STATUS INBOX (MESSAGES 2 UNSEEN 1)"));
    }
}
