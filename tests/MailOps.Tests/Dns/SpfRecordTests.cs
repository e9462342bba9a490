using MailOps.Dns;

namespace MailOps.Tests.Dns;

public sealed class SpfRecordTests
{
    [Fact]
    public void A_record_parses_into_qualified_mechanisms_and_modifiers()
    {
        var r = SpfRecord.Parse("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:mail.example.com/28//64 mx ~include:_spf.example.net exp=why.example.com -all");
        Assert.True(r.IsValid, string.Join("; ", r.Errors));
        Assert.Equal(["ip4", "ip6", "a", "mx", "include", "exp", "all"], r.Terms.Select(t => t.Name));
        Assert.Equal(24, r.Terms[0].Ip4PrefixLength);
        Assert.Equal(32, r.Terms[1].Ip6PrefixLength);
        Assert.Equal("mail.example.com", r.Terms[2].DomainSpec);
        Assert.Equal(28, r.Terms[2].Ip4PrefixLength);
        Assert.Equal(64, r.Terms[2].Ip6PrefixLength);
        Assert.Equal(SpfQualifier.SoftFail, r.Terms[4].Qualifier);
        Assert.Equal("_spf.example.net", r.Terms[4].DomainSpec);
        Assert.True(r.Terms[5].IsModifier);
        Assert.Null(r.Terms[5].Qualifier);
        Assert.Equal(SpfQualifier.Fail, r.All!.Qualifier);
        Assert.Equal(7, r.Terms[0].Position);
    }

    [Theory]
    [InlineData("v=spf1 ip4:192.0.2.1 foo:bar -all", 21, "foo:bar", "unknown mechanism 'foo'")]
    [InlineData("v=spf1 !all", 7, "!all", "not a qualifier")]
    [InlineData("v=spf1 +-all", 7, "+-all", "qualifier must be followed")]
    [InlineData("v=spf1 ip4:192.0.2.0/33 -all", 7, "ip4:192.0.2.0/33", "prefix length from 0 to 32")]
    [InlineData("v=spf1 ip4:192.0.2 -all", 7, "ip4:192.0.2", "not an IPv4 address")]
    [InlineData("v=spf1 ip6:192.0.2.1 -all", 7, "ip6:192.0.2.1", "not an IPv6 address")]
    [InlineData("v=spf1 ip6:2001:db8::/129 -all", 7, "ip6:2001:db8::/129", "0 to 128")]
    [InlineData("v=spf1 a/024 -all", 7, "a/024", "IPv4 prefix length")]
    [InlineData("v=spf1 exists:%{z}.example.com -all", 7, "exists:%{z}.example.com", "not a macro letter")]
    [InlineData("v=spf1 exists:%{c}.example.com -all", 7, "exists:%{c}.example.com", "only in exp text")]
    [InlineData("v=spf1 include:%{d -all", 7, "include:%{d", "not closed")]
    [InlineData("v=spf1 include:%x.example.com -all", 7, "include:%x.example.com", "bad macro")]
    [InlineData("v=spf1 include:localhost -all", 7, "include:localhost", "not a fully qualified")]
    [InlineData("v=spf1 include -all", 7, "include", "needs a domain")]
    [InlineData("v=spf1 -all:x", 7, "-all:x", "all takes no argument")]
    [InlineData("v=spf1 -redirect=example.com", 7, "-redirect=example.com", "modifier takes no qualifier")]
    public void A_syntax_error_names_its_offset_and_term(string text, int position, string term, string message)
    {
        var r = SpfRecord.Parse(text);
        var e = Assert.Single(r.Errors);
        Assert.Equal(position, e.Position);
        Assert.Equal(term, e.Term);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_second_redirect_or_exp_is_an_error_but_an_unknown_modifier_is_not()
    {
        var r = SpfRecord.Parse("v=spf1 foo=bar redirect=a.example redirect=b.example exp=x.example exp=y.example");
        Assert.Equal(["redirect=b.example", "exp=y.example"], r.Errors.Select(e => e.Term));
        Assert.All(r.Errors, e => Assert.Equal("RFC 7208 6", e.Reference));
        Assert.True(SpfRecord.Parse("v=spf1 foo=bar -all").IsValid);
    }

    [Theory]
    [InlineData("v=spf1 exists:%{i}.%{l1r+-}._spf.%{d} -all")]
    [InlineData("v=spf1 include:_spf.example.com. -all")]
    [InlineData("v=spf1 a mx/24 ptr:example.org ?all")]
    [InlineData("v=spf1")]
    [InlineData("V=SPF1 -ALL")]
    public void Valid_records_have_no_errors(string text) => Assert.True(SpfRecord.Parse(text).IsValid, string.Join("; ", SpfRecord.Parse(text).Errors));

    [Theory]
    [InlineData("v=spf1 -all", true)]
    [InlineData("v=spf1", true)]
    [InlineData("v=spf10 -all", false)]
    [InlineData(" v=spf1 -all", false)]
    [InlineData("spf2.0/pra -all", false)]
    public void Only_text_beginning_with_v_spf1_is_an_spf_record(string text, bool expected) => Assert.Equal(expected, SpfRecord.IsSpf(text));

    [Fact]
    public void The_dns_lookup_terms_are_include_a_mx_ptr_exists_and_redirect()
    {
        var r = SpfRecord.Parse("v=spf1 ip4:192.0.2.1 ip6:::1 include:a.example a mx ptr exists:b.example foo=bar redirect=c.example");
        Assert.Equal(["include", "a", "mx", "ptr", "exists", "redirect"], r.Terms.Where(t => t.CountsAsDnsLookup).Select(t => t.Name));
    }
}
