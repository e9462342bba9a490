using MailOps.Engine.Store;
using MimeKit;
using MimeKit.Utils;

namespace MailOps.Engine.Imap;

/// <summary>
/// One message SORT or THREAD orders (RFC 5256): its numbers, INTERNALDATE and size at once; what comes from its header
/// (sent date, base subject, first addresses, Message-ID and references) read once, when a key first needs it, and the
/// parsed header let go of then.
/// </summary>
internal sealed class ImapSortMessage(uint sequence, StoredMessage stored, Func<MimeMessage?> header)
{
    private Func<MimeMessage?>? _header = header;
    private DateTimeOffset _sentDate;
    private ImapBaseSubject _subject = new("", false);
    private string _subjectKey = "";
    private string _from = "", _to = "", _cc = "";
    private string? _messageId;
    private IReadOnlyList<string> _references = [];

    /// <summary>The message sequence number: the tie-breaker of every comparison (RFC 5256 2.2, 3).</summary>
    public uint Sequence { get; } = sequence;

    /// <summary>The UID.</summary>
    public uint Uid => stored.Uid;

    /// <summary>The message's mod-sequence (RFC 7162), for SEARCH's (MODSEQ n).</summary>
    public ulong ModSeq => stored.ModSeq;

    /// <summary>INTERNALDATE, for ARRIVAL.</summary>
    public DateTimeOffset Arrival => stored.ReceivedDate;

    /// <summary>RFC822.SIZE, for SIZE.</summary>
    public long Size => stored.Size;

    /// <summary>The Date: header in UTC; INTERNALDATE when it is missing or cannot be parsed (RFC 5256 2.2).</summary>
    public DateTimeOffset SentDate => Read()._sentDate;

    /// <summary>The base subject (RFC 5256 2.1).</summary>
    public ImapBaseSubject BaseSubject => Read()._subject;

    /// <summary>The base subject as <see cref="ImapCollation"/> compares it.</summary>
    public string SubjectKey => Read()._subjectKey;

    /// <summary>The collation key of the addr-mailbox of the first From, To or Cc address (RFC 5256 3); empty when there is none.</summary>
    public string FirstMailbox(HeaderId field) => field switch
    {
        HeaderId.From => Read()._from,
        HeaderId.To => Read()._to,
        _ => Read()._cc,
    };

    /// <summary>The Message-ID without its angle brackets; null when there is none.</summary>
    public string? MessageId => Read()._messageId;

    /// <summary>
    /// The message's references, oldest first (RFC 5256 REFERENCES 1.A): the valid IDs of References:, else the first
    /// valid one of In-Reply-To:.
    /// </summary>
    public IReadOnlyList<string> References => Read()._references;

    /// <summary>Reads what the keys need from the header, once.</summary>
    public ImapSortMessage Read()
    {
        if (_header is null) return this;
        var m = _header();
        _header = null;
        _sentDate = m?.Headers[HeaderId.Date] is { } date && DateUtils.TryParse(date, out var sent) ? sent.ToUniversalTime() : Arrival.ToUniversalTime();
        _subject = ImapBaseSubject.Extract(m?.Subject);
        _subjectKey = ImapCollation.Key(_subject.Text);
        if (m is null) return this;
        _from = FirstMailbox(m.From);
        _to = FirstMailbox(m.To);
        _cc = FirstMailbox(m.Cc);
        _messageId = m.Headers[HeaderId.MessageId] is { } id ? MimeUtils.EnumerateReferences(id).FirstOrDefault() : null;
        var references = m.Headers[HeaderId.References] is { } r ? MimeUtils.EnumerateReferences(r).ToList() : [];
        if (references.Count == 0 && m.Headers[HeaderId.InReplyTo] is { } reply && MimeUtils.EnumerateReferences(reply).FirstOrDefault() is { } parent)
            references.Add(parent);
        _references = references;
        return this;
    }

    private static string FirstMailbox(InternetAddressList list) => ImapCollation.Key(list.FirstOrDefault() switch
    {
        MailboxAddress mailbox => mailbox.LocalPart,
        // RFC 3501 7.4.2: a group's first ENVELOPE address carries the group name as its mailbox.
        GroupAddress group => group.Name ?? "",
        _ => "",
    });
}
