using System.Globalization;
using MailOps.Engine.Store;
using MimeKit;

namespace MailOps.Engine.Imap;

/// <summary>SORT and THREAD (RFC 5256) in the SELECTED state: a search, then the found messages ordered or threaded.</summary>
internal sealed partial class ImapSession
{
    /// <summary>
    /// The messages of the folder that meet every key, in sequence order, each read and parsed at most once; with
    /// <paramref name="sorting"/>, the header facts of one a key parsed are kept and the parsed message let go of.
    /// </summary>
    private List<ImapSortMessage> Matching(IReadOnlyList<ImapSearchKey> keys, bool sorting)
    {
        var found = new List<ImapSortMessage>();
        var largestUid = _messages.Count == 0 ? 0 : _messages[^1].Uid;
        for (var i = 0; i < _messages.Count; i++)
        {
            var message = _messages[i];
            ImapMessage? parsed = null;
            var read = false;
            ImapMessage? Content()
            {
                if (read) return parsed;
                read = true;
                return parsed = _contents.Parsed(_folder!, message);
            }
            var context = new ImapSearchContext((uint)i + 1, (uint)_messages.Count, message, largestUid, _recent.Contains(message.Uid), Content);
            if (!keys.All(k => k.Matches(context))) continue;
            var sortable = new ImapSortMessage((uint)i + 1, message, () => parsed?.Message ?? Header(message));
            if (sorting && parsed is not null) sortable.Read();
            // What SORT and THREAD need is kept; the parsed message is not, so a large folder is not held in memory.
            parsed = null;
            found.Add(sortable);
        }
        return found;
    }

    /// <summary>Only the header of a message, parsed: what SORT and THREAD read when no search key parsed the whole message.</summary>
    private MimeMessage? Header(StoredMessage message)
    {
        using var stream = _folder!.OpenMessage(message);
        if (stream is null) return null;
        var header = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            var searchFrom = (int)Math.Max(0, header.Length - 3);
            header.Write(buffer, 0, read);
            var end = header.GetBuffer().AsSpan(searchFrom, (int)header.Length - searchFrom).IndexOf("\r\n\r\n"u8);
            if (end < 0) continue;
            header.SetLength(searchFrom + end + 4);
            break;
        }
        header.Position = 0;
        try
        {
            return MimeMessage.Load(header);
        }
        catch (FormatException)
        {
            // An empty file, or octets with no header: a message without Date, Subject or addresses.
            return null;
        }
    }

    /// <summary>The charset and search keys that end SORT and THREAD (RFC 5256 3); null for a charset not supported.</summary>
    private static List<ImapSearchKey>? SearchCriteria(ImapParser p)
    {
        var charset = p.AStringText();
        p.Space();
        var keys = new List<ImapSearchKey>();
        do keys.Add(ImapSearchKey.Parse(p, System.Text.Encoding.UTF8));
        while (p.TryChar(' '));
        p.End();
        // RFC 5256 3: US-ASCII and UTF-8 MUST be supported; others get BADCHARSET.
        return charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase) ? keys : null;
    }

    private const string BadCharset = "NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset.";

    private async Task<string> SortAsync(ImapParser p, bool uid)
    {
        p.Space();
        var sort = ImapSort.Parse(p);
        p.Space();
        if (SearchCriteria(p) is not { } keys) return BadCharset;
        var sorted = sort.Order(Matching(keys, sorting: true));
        await WriteLineAsync("* SORT" + string.Concat(sorted.Select(m => " " + (uid ? m.Uid : m.Sequence).ToString(CultureInfo.InvariantCulture)))).ConfigureAwait(false);
        return "OK Sort completed.";
    }

    private async Task<string> ThreadAsync(ImapParser p, bool uid)
    {
        p.Space();
        var algorithm = p.Atom().ToUpperInvariant();
        if (!ImapThread.Algorithms.Contains(algorithm)) throw new ImapSyntaxException("Unknown thread algorithm.");
        p.Space();
        if (SearchCriteria(p) is not { } keys) return BadCharset;
        var threads = ImapThread.Answer(algorithm, Matching(keys, sorting: true), uid);
        await WriteLineAsync("* THREAD" + (threads.Length > 0 ? " " + threads : "")).ConfigureAwait(false);
        return "OK Thread completed.";
    }
}
