using MailOps.Dkim;

namespace MailOps.Tests.Dkim;

public sealed class DkimTagListTests
{
    [Fact]
    public void White_space_around_tags_is_dropped_and_inside_values_kept()
    {
        Assert.True(DkimTagList.TryParse(" v = DKIM1 ;\r\n\tk=rsa; n=two words ;", out var tags, out _));
        Assert.Equal(["v", "k", "n"], tags.Tags.Select(t => t.Key));
        Assert.Equal("DKIM1", tags["v"]);
        Assert.Equal("two words", tags["n"]);
    }

    [Fact]
    public void An_empty_value_is_present_but_empty()
    {
        Assert.True(DkimTagList.TryParse("v=DKIM1; p=", out var tags, out _));
        Assert.True(tags.Contains("p"));
        Assert.Equal("", tags["p"]);
    }

    [Theory]
    [InlineData("v=DKIM1; k rsa", "no '='")]
    [InlineData("v=DKIM1; p=a; p=b", "twice")]
    [InlineData("v=DKIM1;; p=a", "start with a letter")]
    [InlineData("1v=DKIM1", "start with a letter")]
    [InlineData("v=DKIM1; p=a\u00e9", "does not allow")]
    [InlineData("", "no tags")]
    public void A_malformed_tag_list_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(DkimTagList.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }
}
