using MailOps.Dns;

namespace MailOps.Tests.Dns;

public sealed class TagListTests
{
    // DKIM rules (RFC 6376 3.2), as key records are read.

    [Fact]
    public void White_space_around_tags_is_dropped_and_inside_values_kept()
    {
        var tags = TagList.Parse(" v = DKIM1 ;\r\n\tk=rsa; n=two words ;", TagListRules.Dkim);
        Assert.Null(tags.Error);
        Assert.Equal(["v", "k", "n"], tags.Tags.Select(t => t.Name));
        Assert.Equal("DKIM1", tags["v"]);
        Assert.Equal("two words", tags["n"]);
    }

    [Fact]
    public void An_empty_value_is_present_but_empty()
    {
        var tags = TagList.Parse("v=DKIM1; p=", TagListRules.Dkim);
        Assert.Null(tags.Error);
        Assert.True(tags.Contains("p"));
        Assert.Equal("", tags["p"]);
    }

    [Fact]
    public void A_dkim_tag_name_is_case_sensitive()
    {
        var tags = TagList.Parse("v=DKIM1; P=abc", TagListRules.Dkim);
        Assert.Null(tags["p"]);
        Assert.False(tags.Contains("p"));
        Assert.Equal("abc", tags["P"]);
        Assert.Null(TagList.Parse("p=a; P=b", TagListRules.Dkim).Error);
    }

    [Theory]
    [InlineData("v=DKIM1; k rsa", "no '='")]
    [InlineData("v=DKIM1; p=a; p=b", "twice")]
    [InlineData("v=DKIM1;; p=a", "start with a letter")]
    [InlineData("1v=DKIM1", "start with a letter")]
    [InlineData("v=DKIM1; p=a\u00e9", "does not allow")]
    [InlineData("v=DKIM1; x-y=1", "only letters, digits and '_'")]
    [InlineData("", "no tags")]
    public void A_malformed_tag_list_is_refused_with_the_reason(string text, string reason)
    {
        var error = TagList.Parse(text, TagListRules.Dkim).Error;
        Assert.NotNull(error);
        Assert.Contains(reason, error);
    }

    // Policy record rules: DMARC (RFC 7489 6.4), MTA-STS (RFC 8461 3.1), TLS-RPT (RFC 8460 3).

    [Fact]
    public void A_policy_record_is_looked_up_case_insensitively_and_keeps_names_as_written()
    {
        var tags = TagList.Parse("V=DMARC1; P=reject; RUA=mailto:d@example.org", TagListRules.PolicyRecord);
        Assert.Null(tags.Error);
        Assert.Equal("reject", tags["p"]);
        Assert.Equal(1, tags.IndexOf("p"));
        Assert.Equal(["V", "P", "RUA"], tags.Tags.Select(t => t.Name));
    }

    [Fact]
    public void A_policy_record_keeps_duplicates_for_its_check_to_judge_and_the_first_one_answers()
    {
        var tags = TagList.Parse("v=DMARC1; p=none; p=reject", TagListRules.PolicyRecord);
        Assert.Null(tags.Error);
        Assert.Equal(3, tags.Tags.Count);
        Assert.Equal("none", tags["p"]);
    }

    [Theory]
    [InlineData("v=STSv1;; id=20240101;", 2)]
    [InlineData("; v=STSv1; id=1", 2)]
    [InlineData("v=STSv1; id=1; ext-name.x=\u00e9t\u00e9", 3)]
    [InlineData("", 0)]
    public void A_policy_record_is_read_past_empty_specs_extension_names_and_any_value(string text, int count)
    {
        var tags = TagList.Parse(text, TagListRules.PolicyRecord);
        Assert.Null(tags.Error);
        Assert.Equal(count, tags.Tags.Count);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; adkim", "tag 'adkim' has no '='", 2)]
    [InlineData("v=TLSRPTv1; rua mailto:r@example.org", "tag 'rua' has no '='", 1)]
    [InlineData("v=STSv1; 1d=x", "start with a letter", 1)]
    public void A_malformed_policy_record_says_why_and_keeps_the_tags_read_before(string text, string reason, int count)
    {
        var tags = TagList.Parse(text, TagListRules.PolicyRecord);
        Assert.NotNull(tags.Error);
        Assert.Contains(reason, tags.Error);
        Assert.Equal(count, tags.Tags.Count);
    }
}
