using MailOps.Engine.Imap;

namespace MailOps.Engine.Tests.Imap;

/// <summary>The base subject of RFC 5256 2.1, rule by rule, and the collation SORT compares it with.</summary>
public sealed class ImapBaseSubjectTests
{
    [Theory]
    // (1) whitespace packed: tabs and runs of spaces are one space, none at either end.
    [InlineData("  hello\t\t  world  ", "hello world", false)]
    [InlineData("", "", false)]
    [InlineData(null, "", false)]
    // (2) trailers: "(fwd)" and WSP, repeatedly, a "(fwd)" marking a forward.
    [InlineData("hello (fwd)", "hello", true)]
    [InlineData("hello(FWD) (fwd)  ", "hello", true)]
    [InlineData("(fwd) hello", "(fwd) hello", false)]
    // (3) leaders: re, fw, fwd, with WSP and a blob before the colon, repeatedly; blobs before them go with them.
    [InlineData("Re: hello", "hello", true)]
    [InlineData("RE: Re: re:hello", "hello", true)]
    [InlineData("Re:Re:hello", "hello", true)]
    [InlineData("Fwd: hello", "hello", true)]
    [InlineData("FW: hello", "hello", true)]
    [InlineData("fw[2]: hello", "hello", true)]
    [InlineData("Re [3]: hello", "hello", true)]
    [InlineData("[list] Re: hello", "hello", true)]
    [InlineData("[a][b] Fwd: Re: hello", "hello", true)]
    [InlineData("Re:", "", true)]
    [InlineData("Re: ", "", true)]
    [InlineData("[list] Re:", "", true)]
    // Not leaders: no colon, or letters that only begin a word.
    [InlineData("Rehearsal", "Rehearsal", false)]
    [InlineData("Re hello", "Re hello", false)]
    [InlineData("Fwdx: hi", "Fwdx: hi", false)]
    [InlineData("Re [x] [y]: hi", "Re [x] [y]: hi", false)]
    // (4) a leading blob goes when something is left after it.
    [InlineData("[list] hello", "hello", false)]
    [InlineData("[a] [b] hello", "hello", false)]
    [InlineData("[list]", "[list]", false)]
    [InlineData("[a][b]", "[b]", false)]
    [InlineData("Re: [list]", "[list]", true)]
    [InlineData("[unclosed hello", "[unclosed hello", false)]
    // (6) the [fwd: ...] wrapper, then everything again from (2).
    [InlineData("[fwd: hello]", "hello", true)]
    [InlineData("[Fwd: Re: hello (fwd)]", "hello", true)]
    [InlineData("Re: [fwd: [list] hello]", "hello", true)]
    [InlineData("[fwd: [fwd: hello]]", "hello", true)]
    [InlineData("[fwd:]", "", true)]
    // A "[fwd: ...]" with more after it is a blob (':' is a BLOBCHAR), removed by (4), not a wrapper.
    [InlineData("[fwd: hello] more", "more", false)]
    public void The_base_subject_follows_RFC_5256_section_2_1(string? subject, string expected, bool replyOrForward)
    {
        var extracted = ImapBaseSubject.Extract(subject);
        Assert.Equal(expected, extracted.Text);
        Assert.Equal(replyOrForward, extracted.IsReplyOrForward);
    }

    [Fact]
    public void Subjects_compare_case_insensitively_in_upper_case_order_and_by_code_point()
    {
        Assert.Equal(ImapCollation.Key("Café"), ImapCollation.Key("CAF\u00c9"));
        Assert.Equal(ImapCollation.Key("caf\u00e9"), ImapCollation.Key("cafe\u0301"));
        // Upper case first: 'a' is 'A' (0x41), before '_' (0x5F); lower-casing would put it after.
        Assert.True(ImapCollation.Compare(ImapCollation.Key("a"), ImapCollation.Key("_")) < 0);
        Assert.True(ImapCollation.Compare(ImapCollation.Key("abc"), ImapCollation.Key("ABCD")) < 0);
        // U+1F600 is after U+FFFD by code point, though its UTF-16 surrogates sort before it.
        Assert.True(ImapCollation.Compare("\U0001F600", "\uFFFD") > 0);
        Assert.Equal(0, ImapCollation.Compare(ImapCollation.Key("Meeting"), ImapCollation.Key("MEETING")));
    }
}
