using System.Text;
using MailOps.Engine.Store;
using MimeKit;

namespace MailOps.Engine.Imap;

/// <summary>
/// One search key of RFC 3501 6.4.4, parsed into a test of a message: every key of the RFC (flags, dates, sizes, header
/// and text matches, sequence and UID sets, NOT, OR and parenthesized lists). Strings match case-insensitively as
/// substrings of the decoded header values and text parts (MimeKit decodes them).
/// </summary>
internal sealed class ImapSearchKey
{
    private readonly Func<ImapSearchContext, bool> _test;

    private ImapSearchKey(Func<ImapSearchContext, bool> test) => _test = test;

    /// <summary>True when the key or one inside it is MODSEQ (RFC 7162 3.1.5), whose SEARCH answer carries the highest MODSEQ found.</summary>
    public bool UsesModSeq { get; private init; }

    /// <summary>True when the message meets the key.</summary>
    public bool Matches(ImapSearchContext context) => _test(context);

    /// <summary>Parses one key (a list of keys in parentheses is one key).</summary>
    public static ImapSearchKey Parse(ImapParser p, Encoding charset)
    {
        if (p.TryChar('('))
        {
            var all = new List<ImapSearchKey>();
            do all.Add(Parse(p, charset));
            while (p.TryChar(' '));
            p.Expect(')');
            return new ImapSearchKey(c => all.All(k => k.Matches(c))) { UsesModSeq = all.Any(k => k.UsesModSeq) };
        }
        if (p.AtSequenceSet)
        {
            var set = p.SequenceSet();
            return new ImapSearchKey(c => set.Contains(c.Sequence, c.Count));
        }
        var name = p.Atom().ToUpperInvariant();
        switch (name)
        {
            case "ALL": return new ImapSearchKey(_ => true);
            case "ANSWERED": return Flag(MessageFlags.Answered, true);
            case "DELETED": return Flag(MessageFlags.Deleted, true);
            case "DRAFT": return Flag(MessageFlags.Draft, true);
            case "FLAGGED": return Flag(MessageFlags.Flagged, true);
            case "SEEN": return Flag(MessageFlags.Seen, true);
            case "UNANSWERED": return Flag(MessageFlags.Answered, false);
            case "UNDELETED": return Flag(MessageFlags.Deleted, false);
            case "UNDRAFT": return Flag(MessageFlags.Draft, false);
            case "UNFLAGGED": return Flag(MessageFlags.Flagged, false);
            case "UNSEEN": return Flag(MessageFlags.Seen, false);
            case "RECENT": return new ImapSearchKey(c => c.Recent);
            case "OLD": return new ImapSearchKey(c => !c.Recent);
            case "NEW": return new ImapSearchKey(c => c.Recent && !c.Message.Flags.HasFlag(MessageFlags.Seen));
            case "KEYWORD" or "UNKEYWORD":
            {
                p.Space();
                var keyword = p.Atom();
                var want = name == "KEYWORD";
                return new ImapSearchKey(c => c.Message.Keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase) == want);
            }
            case "BCC" or "CC" or "FROM" or "SUBJECT" or "TO":
            {
                p.Space();
                var text = charset.GetString(p.AString());
                var field = name[0] + name[1..].ToLowerInvariant();
                return new ImapSearchKey(c => c.Content() is { } m && HeaderContains(m.Message, field, text));
            }
            case "HEADER":
            {
                p.Space();
                var field = p.AStringText();
                p.Space();
                var text = charset.GetString(p.AString());
                return new ImapSearchKey(c => c.Content() is { } m && HeaderContains(m.Message, field, text));
            }
            case "BODY":
            {
                p.Space();
                var text = charset.GetString(p.AString());
                return new ImapSearchKey(c => c.Content() is { } m && Contains(m.BodyText(), text));
            }
            case "TEXT":
            {
                p.Space();
                var text = charset.GetString(p.AString());
                return new ImapSearchKey(c => c.Content() is { } m &&
                    (m.Message.Headers.Any(h => Contains(h.Value, text)) || Contains(m.BodyText(), text)));
            }
            case "BEFORE" or "ON" or "SINCE":
            {
                p.Space();
                var date = p.Date();
                return Dated(name, date, c => DateOnly.FromDateTime(c.Message.ReceivedDate.ToLocalTime().DateTime));
            }
            case "SENTBEFORE" or "SENTON" or "SENTSINCE":
            {
                p.Space();
                var date = p.Date();
                // RFC 3501 6.4.4: the Date: header's date, its time and zone disregarded; INTERNALDATE when it has none.
                return Dated(name[4..], date, c => c.Content() is { } m && m.Message.Headers.Contains(HeaderId.Date)
                    ? DateOnly.FromDateTime(m.Message.Date.DateTime)
                    : DateOnly.FromDateTime(c.Message.ReceivedDate.ToLocalTime().DateTime));
            }
            case "LARGER" or "SMALLER":
            {
                p.Space();
                var size = p.Number();
                return name == "LARGER" ? new ImapSearchKey(c => c.Message.Size > size) : new ImapSearchKey(c => c.Message.Size < size);
            }
            case "UID":
            {
                p.Space();
                var set = p.SequenceSet();
                return new ImapSearchKey(c => set.Contains(c.Message.Uid, c.LargestUid));
            }
            case "MODSEQ":
            {
                // RFC 7162 3.1.5: MODSEQ ["/flags/<flag>" priv|shared|all] n; one mod-sequence per message serves every entry.
                p.Space();
                if (p.Peek is '"' or '{')
                {
                    p.String();
                    p.Space();
                    if (p.Atom().ToLowerInvariant() is not ("priv" or "shared" or "all")) throw new ImapSyntaxException("Invalid MODSEQ entry type.");
                    p.Space();
                }
                var modSeq = ImapModSequence.Parse(p, allowZero: true);
                return new ImapSearchKey(c => c.Message.ModSeq >= modSeq) { UsesModSeq = true };
            }
            case "NOT":
            {
                p.Space();
                var key = Parse(p, charset);
                return new ImapSearchKey(c => !key.Matches(c)) { UsesModSeq = key.UsesModSeq };
            }
            case "OR":
            {
                p.Space();
                var left = Parse(p, charset);
                p.Space();
                var right = Parse(p, charset);
                return new ImapSearchKey(c => left.Matches(c) || right.Matches(c)) { UsesModSeq = left.UsesModSeq || right.UsesModSeq };
            }
            default:
                throw new ImapSyntaxException("Unknown search key " + name);
        }
    }

    private static ImapSearchKey Flag(MessageFlags flag, bool set) => new(c => c.Message.Flags.HasFlag(flag) == set);

    private static ImapSearchKey Dated(string comparison, DateOnly date, Func<ImapSearchContext, DateOnly> of) => comparison switch
    {
        "BEFORE" => new ImapSearchKey(c => of(c) < date),
        "ON" => new ImapSearchKey(c => of(c) == date),
        _ => new ImapSearchKey(c => of(c) >= date),
    };

    // RFC 3501 6.4.4: an empty string matches every message that has the field.
    private static bool HeaderContains(MimeMessage message, string field, string text) =>
        message.Headers.Any(h => h.Field.Equals(field, StringComparison.OrdinalIgnoreCase) && Contains(h.Value, text));

    private static bool Contains(string? haystack, string needle) =>
        haystack is not null && haystack.Contains(needle, StringComparison.OrdinalIgnoreCase);
}
