using System.Text;
using MailOps.Engine.Imap;
using MailOps.Engine.Store;
using MimeKit;

namespace MailOps.Engine.Tests.Imap;

/// <summary>THREAD over folders no test mailbox would hold: a reply chain as deep as the folder is large (recursion overflowed the stack and took the server down).</summary>
public sealed class ImapThreadTests
{
    private static ImapSortMessage Message(uint sequence, string header)
    {
        var stored = new StoredMessage(sequence, 100, 100, MessageFlags.None, [], new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), "");
        return new ImapSortMessage(sequence, stored, () => MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(header + "\r\n"))));
    }

    [Fact]
    public void A_reply_chain_of_50000_messages_threads_without_running_out_of_stack()
    {
        const int depth = 50_000;
        var messages = new List<ImapSortMessage>();
        for (uint i = 1; i <= depth; i++)
        {
            var references = i == 1 ? "" : $"References: <{i - 1}@example.org>\r\n";
            messages.Add(Message(i, $"Subject: {(i == 1 ? "" : "Re: ")}deep\r\nMessage-ID: <{i}@example.org>\r\n{references}Date: Sun, 1 Nov 2026 00:00:00 +0000\r\n"));
        }
        // One thread, each message the only child of the one before: "(1 2 3 ... 50000)".
        var expected = "(" + string.Join(' ', Enumerable.Range(1, depth)) + ")";
        Assert.Equal(expected, ImapThread.Answer("REFERENCES", messages, uid: false));
        // ORDEREDSUBJECT: all under the first, as siblings.
        var ordered = ImapThread.Answer("ORDEREDSUBJECT", messages, uid: false);
        Assert.StartsWith("(1 (2)(3)(4)", ordered);
        Assert.EndsWith("(49999)(50000))", ordered);
    }
}
