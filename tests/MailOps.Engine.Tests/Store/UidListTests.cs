using MailOps.Engine.Store;

namespace MailOps.Engine.Tests.Store;

public class UidListTests
{
    [Fact]
    public void A_uidlist_written_by_Dovecot_reads_and_renders_back_unchanged()
    {
        var text = "3 V1795845111 N4 G39264e17f76b0a6ba16b000083ecc375\n"
            + "1 :1795845111.M390968P27553.vm,S=40,W=45\n"
            + "2 W45 GDEADBEEF :1795845111.M408130P27557.vm,S=40\n"
            + "3 :1795845111.M419901P27558.vm,S=40,W=45\n";
        var list = UidList.Parse(text, "dovecot-uidlist");
        Assert.Equal(1795845111u, list.UidValidity);
        Assert.Equal(4u, list.NextUid);
        Assert.Equal("39264e17f76b0a6ba16b000083ecc375", list.MailboxGuid);
        Assert.Equal(["W45", "GDEADBEEF"], list.Records[1].Extensions);
        Assert.Equal(text, list.Render());
    }

    [Fact]
    public void Records_Dovecot_appended_without_raising_N_still_raise_the_next_uid()
    {
        // Dovecot's LDA appends lines and leaves the header's N as it was.
        var list = UidList.Parse("3 V7 N1 G39264e17f76b0a6ba16b000083ecc375\n1 :a\n2 :b\n", "x");
        Assert.Equal(3u, list.NextUid);
        var record = list.Append("c,S=1,W=1");
        Assert.Equal(3u, record.Uid);
        Assert.StartsWith("3 V7 N4 G", list.Render());
        Assert.EndsWith("3 :c,S=1,W=1\n", list.Render());
    }

    [Fact]
    public void A_line_Dovecot_is_still_appending_is_not_read_yet()
    {
        var list = UidList.Parse("3 V7 N1 G39264e17f76b0a6ba16b000083ecc375\n1 :a\n2 :17958", "x");
        Assert.Equal(["a"], list.Records.Select(r => r.BaseName));
        Assert.Equal(2u, list.NextUid);
    }

    [Fact]
    public void A_file_listed_twice_keeps_its_later_uid_as_in_Dovecot()
    {
        var list = UidList.Parse("3 V7 N9 G39264e17f76b0a6ba16b000083ecc375\n1 :a\n2 :b\n5 :a\n", "x");
        Assert.Equal([2u, 5u], list.Records.Select(r => r.Uid));
        Assert.Equal(5u, list.Find("a")!.Uid);
    }

    [Theory]
    [InlineData("x V1 N1\n")]
    [InlineData("3 V0 N1 G39264e17f76b0a6ba16b000083ecc375\n")]
    [InlineData("3 V1 N1 G39264e17f76b0a6ba16b000083ecc375\n2 :a\n1 :b\n")]
    [InlineData("3 V1 N1 G39264e17f76b0a6ba16b000083ecc375\n1 :../etc/passwd\n")]
    public void A_broken_uidlist_is_refused_not_guessed(string text)
    {
        var e = Assert.Throws<MailStoreException>(() => UidList.Parse(text, "dovecot-uidlist"));
        Assert.False(e.IsTransient);
    }
}
