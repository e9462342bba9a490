using MailOps.Engine.Store;

namespace MailOps.Engine.Imap;

/// <summary>
/// One session's cache of message octets and their MIME parse, so that a second SEARCH or FETCH of the same messages
/// reads and parses nothing again (Dovecot keeps such fields in its dovecot.index.cache). A Maildir message's content
/// never changes under its base name (only the flags after <c>:2,</c> do), so an entry is never stale; the least
/// recently used ones leave once the octets held pass the capacity. Per session because a parsed MimeMessage is not
/// safe to read from two threads (its parts share content streams).
/// </summary>
internal sealed class ImapMessageCache(long capacityBytes)
{
    private sealed class Entry(string key, byte[] raw)
    {
        public string Key { get; } = key;
        public byte[] Raw { get; } = raw;
        public ImapMessage? Parsed { get; set; }
    }

    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recent = new();
    private long _bytes;

    /// <summary>The message's octets (CRLF), read through <paramref name="folder"/> when not cached; null when it is gone.</summary>
    public byte[]? Raw(IMailFolder folder, StoredMessage message) => Find(folder, message)?.Raw;

    /// <summary>The message parsed; null when it is gone.</summary>
    public ImapMessage? Parsed(IMailFolder folder, StoredMessage message) => Find(folder, message) is { } entry
        ? entry.Parsed ??= new ImapMessage(entry.Raw)
        : null;

    private Entry? Find(IMailFolder folder, StoredMessage message)
    {
        var key = KeyOf(message);
        if (_entries.TryGetValue(key, out var node))
        {
            _recent.Remove(node);
            _recent.AddFirst(node);
            return node.Value;
        }
        using var stream = folder.OpenMessage(message);
        if (stream is null) return null;
        var copy = new MemoryStream(message.Size is > 0 and < int.MaxValue ? (int)message.Size : 0);
        stream.CopyTo(copy);
        var entry = new Entry(key, copy.ToArray());
        if (entry.Raw.Length > capacityBytes) return entry; // too big to keep: served, not cached
        _entries[key] = _recent.AddFirst(entry);
        _bytes += entry.Raw.Length;
        while (_bytes > capacityBytes && _recent.Last is { } last)
        {
            _recent.RemoveLast();
            _entries.Remove(last.Value.Key);
            _bytes -= last.Value.Raw.Length;
        }
        return entry;
    }

    // The folder's directory and the file's base name: what names the content, whatever its flags or new/cur.
    private static string KeyOf(StoredMessage message)
    {
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(message.Path)) ?? "";
        return folder + "/" + MaildirFileName.BaseOf(Path.GetFileName(message.Path));
    }
}
