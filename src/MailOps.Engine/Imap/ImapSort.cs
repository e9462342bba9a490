using MimeKit;

namespace MailOps.Engine.Imap;

/// <summary>
/// The sort criteria of a SORT command (RFC 5256 3): keys in order of precedence, each maybe REVERSE; messages equal on
/// every key stay in sequence-number order, whatever REVERSE says.
/// </summary>
internal sealed class ImapSort : IComparer<ImapSortMessage>
{
    private readonly IReadOnlyList<(string Key, bool Reverse)> _criteria;

    private ImapSort(IReadOnlyList<(string Key, bool Reverse)> criteria) => _criteria = criteria;

    /// <summary>Parses "(" sort-criterion *(SP sort-criterion) ")".</summary>
    public static ImapSort Parse(ImapParser p)
    {
        var criteria = new List<(string, bool)>();
        p.Expect('(');
        do
        {
            var key = p.Atom().ToUpperInvariant();
            var reverse = key == "REVERSE";
            if (reverse)
            {
                p.Space();
                key = p.Atom().ToUpperInvariant();
            }
            if (key is not ("ARRIVAL" or "CC" or "DATE" or "FROM" or "SIZE" or "SUBJECT" or "TO"))
                throw new ImapSyntaxException("Unknown sort key " + key);
            criteria.Add((key, reverse));
        }
        while (p.TryChar(' '));
        p.Expect(')');
        return new ImapSort(criteria);
    }

    /// <summary>Orders the messages by the criteria.</summary>
    public List<ImapSortMessage> Order(IEnumerable<ImapSortMessage> messages)
    {
        var list = messages.ToList();
        list.Sort(this);
        return list;
    }

    /// <inheritdoc/>
    public int Compare(ImapSortMessage? x, ImapSortMessage? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        foreach (var (key, reverse) in _criteria)
        {
            var c = key switch
            {
                "ARRIVAL" => x.Arrival.CompareTo(y.Arrival),
                "DATE" => x.SentDate.CompareTo(y.SentDate),
                "SIZE" => x.Size.CompareTo(y.Size),
                "SUBJECT" => ImapCollation.Compare(x.SubjectKey, y.SubjectKey),
                "FROM" => ImapCollation.Compare(x.FirstMailbox(HeaderId.From), y.FirstMailbox(HeaderId.From)),
                "TO" => ImapCollation.Compare(x.FirstMailbox(HeaderId.To), y.FirstMailbox(HeaderId.To)),
                _ => ImapCollation.Compare(x.FirstMailbox(HeaderId.Cc), y.FirstMailbox(HeaderId.Cc)),
            };
            if (c != 0) return reverse ? -c : c;
        }
        // RFC 5256 3: exact matches are in the order of their message sequence numbers.
        return x.Sequence.CompareTo(y.Sequence);
    }
}
