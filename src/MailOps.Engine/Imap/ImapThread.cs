using System.Globalization;
using System.Text;

namespace MailOps.Engine.Imap;

/// <summary>
/// The THREAD algorithms of RFC 5256 3, ORDEREDSUBJECT and REFERENCES, over the messages a search found, and the
/// thread-list answer (RFC 5256 4) they make: nested parenthesized lists of message numbers.
/// </summary>
internal static class ImapThread
{
    /// <summary>The algorithms this server offers, as THREAD= capabilities.</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["ORDEREDSUBJECT", "REFERENCES"];

    /// <summary>One place in a thread tree: a message, or a dummy holding a place for one that is not there.</summary>
    private sealed class Node
    {
        public ImapSortMessage? Message;
        public Node? Parent;
        public List<Node> Children = [];
    }

    /// <summary>Threads <paramref name="messages"/> (in sequence order) and writes the thread list, by UID or sequence number.</summary>
    public static string Answer(string algorithm, IReadOnlyList<ImapSortMessage> messages, bool uid)
    {
        var roots = algorithm == "REFERENCES" ? References(messages) : OrderedSubject(messages);
        var text = new StringBuilder();
        foreach (var root in roots)
        {
            text.Append('(');
            Write(text, root, uid);
            text.Append(')');
        }
        return text.ToString();
    }

    // RFC 5256 4: a child alone continues its parent's list; several children are each a parenthesized list; a dummy writes
    // only its children. Without recursion: a reply chain can be as deep as the folder is large.
    private static void Write(StringBuilder text, Node root, bool uid)
    {
        var pending = new Stack<object>();
        pending.Push(root);
        while (pending.TryPop(out var next))
        {
            if (next is string literal)
            {
                text.Append(literal);
                continue;
            }
            var node = (Node)next;
            if (node.Message is { } message)
            {
                text.Append((uid ? message.Uid : message.Sequence).ToString(CultureInfo.InvariantCulture));
                if (node.Children.Count == 0) continue;
                text.Append(' ');
                if (node.Children.Count == 1)
                {
                    pending.Push(node.Children[0]);
                    continue;
                }
            }
            for (var i = node.Children.Count - 1; i >= 0; i--)
            {
                pending.Push(")");
                pending.Push(node.Children[i]);
                pending.Push("(");
            }
        }
    }

    // RFC 5256 3 ORDEREDSUBJECT: by base subject then sent date; one thread per subject, its first message the parent of
    // all the others; threads in the order of their first message's sent date.
    private static List<Node> OrderedSubject(IReadOnlyList<ImapSortMessage> messages)
    {
        var sorted = messages.Order(Comparer<ImapSortMessage>.Create((x, y) =>
        {
            var c = ImapCollation.Compare(x.SubjectKey, y.SubjectKey);
            return c != 0 ? c : BySentDate(x, y);
        })).ToList();
        var roots = new List<Node>();
        for (var i = 0; i < sorted.Count; i++)
        {
            var root = new Node { Message = sorted[i] };
            while (i + 1 < sorted.Count && sorted[i + 1].SubjectKey == root.Message.SubjectKey)
                root.Children.Add(new Node { Message = sorted[++i], Parent = root });
            roots.Add(root);
        }
        roots.Sort((x, y) => BySentDate(x.Message!, y.Message!));
        return roots;
    }

    // RFC 5256 3: sent date, then sequence number.
    private static int BySentDate(ImapSortMessage x, ImapSortMessage y)
    {
        var c = x.SentDate.CompareTo(y.SentDate);
        return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
    }

    // RFC 5256 3 REFERENCES, steps 1 to 6.
    private static List<Node> References(IReadOnlyList<ImapSortMessage> messages)
    {
        var byId = new Dictionary<string, Node>(StringComparer.Ordinal);
        var all = new List<Node>();
        Node Container(string id)
        {
            if (!byId.TryGetValue(id, out var found))
            {
                byId[id] = found = new Node();
                all.Add(found);
            }
            return found;
        }
        foreach (var message in messages)
        {
            // (1) A message without a Message-ID, or with one an earlier message has, gets a unique one.
            Node node;
            if (message.MessageId is { } id && (!byId.TryGetValue(id, out var existing) || existing.Message is null))
                node = Container(id);
            else
                all.Add(node = new Node());
            node.Message = message;
            // (1.A) References link their messages parent to child, leaving existing links and never making a loop.
            Node? previous = null;
            foreach (var reference in message.References)
            {
                var current = Container(reference);
                if (previous is not null && current.Parent is null && !WouldLoop(previous, current)) Link(previous, current);
                previous = current;
            }
            // (1.B) The last reference is the message's parent, replacing any parent it had; no references, no parent.
            if (node.Parent is not null) Unlink(node);
            if (previous is not null && !WouldLoop(previous, node)) Link(previous, node);
        }
        // (2) The root set, (3) dummies pruned.
        var roots = Prune(all.Where(n => n.Parent is null).ToList());
        // (4) The roots by sent date (a dummy's children first, as it sorts as its first child), (5) gathered by subject.
        Sort(roots);
        roots = GatherSubjects(roots);
        // (6) every set of siblings by sent date.
        Sort(roots);
        return roots;
    }

    private static bool WouldLoop(Node parent, Node child)
    {
        // A node without children is no one's ancestor: the common case, a new reply, costs nothing.
        if (child.Children.Count == 0) return parent == child;
        for (var n = parent; n is not null; n = n.Parent)
        {
            if (n == child) return true;
        }
        return false;
    }

    private static void Link(Node parent, Node child)
    {
        child.Parent = parent;
        parent.Children.Add(child);
    }

    private static void Unlink(Node child)
    {
        child.Parent!.Children.Remove(child);
        child.Parent = null;
    }

    // Every node below the roots, parents before children (breadth first).
    private static List<Node> Below(List<Node> roots)
    {
        var all = new List<Node>(roots);
        for (var i = 0; i < all.Count; i++) all.AddRange(all[i].Children);
        return all;
    }

    // RFC 5256 3 REFERENCES (3), children before parents: a dummy without children goes; one with children gives them to its
    // parent, except that several children are not promoted to the root.
    private static List<Node> Prune(List<Node> roots)
    {
        var all = Below(roots);
        for (var i = all.Count - 1; i >= 0; i--) all[i].Children = Prune(all[i].Children, root: false);
        return Prune(roots, root: true);
    }

    private static List<Node> Prune(List<Node> siblings, bool root)
    {
        var kept = new List<Node>();
        foreach (var node in siblings)
        {
            if (node.Message is null)
            {
                if (node.Children.Count == 0) continue;
                if (!root || node.Children.Count == 1)
                {
                    foreach (var child in node.Children) child.Parent = node.Parent;
                    kept.AddRange(node.Children);
                    continue;
                }
            }
            kept.Add(node);
        }
        return kept;
    }

    // Sorts siblings at every level, children first, by sent date then sequence number; a dummy sorts as its first child.
    private static void Sort(List<Node> roots)
    {
        var all = Below(roots);
        for (var i = all.Count - 1; i >= 0; i--) all[i].Children.Sort((x, y) => BySentDate(First(x), First(y)));
        roots.Sort((x, y) => BySentDate(First(x), First(y)));
    }

    private static ImapSortMessage First(Node node)
    {
        while (node.Message is null) node = node.Children[0];
        return node.Message;
    }

    // RFC 5256 3 REFERENCES (5): root threads with the same base subject are gathered under one.
    private static List<Node> GatherSubjects(List<Node> roots)
    {
        // (5.B) One thread per subject: a dummy before a message, a message that is not a reply before one that is.
        var table = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var key = First(root).SubjectKey;
            if (key.Length == 0) continue;
            if (!table.TryGetValue(key, out var held)
                || (held.Message is { } heldMessage && (root.Message is null || (heldMessage.BaseSubject.IsReplyOrForward && !root.Message.BaseSubject.IsReplyOrForward))))
                table[key] = root;
        }
        // (5.C) Merge each thread into the table's.
        var gone = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var added = new List<Node>();
        foreach (var root in roots)
        {
            if (gone.Contains(root)) continue;
            var key = First(root).SubjectKey;
            if (key.Length == 0 || !table.TryGetValue(key, out var held) || held == root) continue;
            gone.Add(root);
            if (root.Message is null && held.Message is null)
            {
                foreach (var child in root.Children) Link(held, child);
            }
            else if (held.Message is null || (root.Message!.BaseSubject.IsReplyOrForward && !held.Message.BaseSubject.IsReplyOrForward))
            {
                Link(held, root);
            }
            else
            {
                var dummy = new Node();
                gone.Add(held);
                Link(dummy, held);
                Link(dummy, root);
                added.Add(dummy);
                table[key] = dummy;
            }
        }
        return [.. roots.Where(r => !gone.Contains(r)), .. added];
    }
}
