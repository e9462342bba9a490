namespace MailOps.Engine.Imap;

/// <summary>
/// A sequence set (RFC 3501 9, sequence-set): numbers and ranges of message sequence numbers or UIDs, where "*" stands
/// for the largest number in use. A range may be written either way round ("4:2" is "2:4", RFC 3501 9).
/// </summary>
internal sealed class ImapSequenceSet
{
    /// <summary>"*": the largest number in use.</summary>
    public const uint Star = 0;

    private readonly List<(uint From, uint To)> _ranges;

    public ImapSequenceSet(List<(uint From, uint To)> ranges) => _ranges = ranges;

    /// <summary>True when <paramref name="value"/> is in the set, "*" taken as <paramref name="largest"/>.</summary>
    public bool Contains(uint value, uint largest)
    {
        foreach (var (from, to) in _ranges)
        {
            var a = from == Star ? largest : from;
            var b = to == Star ? largest : to;
            if (a > b) (a, b) = (b, a);
            if (value >= a && value <= b) return true;
        }
        return false;
    }

    /// <summary>True when a number in the set is beyond <paramref name="largest"/> (a sequence number that does not exist).</summary>
    public bool ExceedsLargest(uint largest) => _ranges.Any(r => r.From > largest || r.To > largest);

    /// <summary>The set as ascending, non-overlapping ranges, "*" taken as <paramref name="largest"/> and nothing above it.</summary>
    public List<(uint From, uint To)> Ranges(uint largest)
    {
        var ranges = new List<(uint From, uint To)>();
        foreach (var (from, to) in _ranges)
        {
            var a = from == Star ? largest : from;
            var b = to == Star ? largest : to;
            if (a > b) (a, b) = (b, a);
            if (a <= largest) ranges.Add((a, Math.Min(b, largest)));
        }
        ranges.Sort();
        var merged = new List<(uint From, uint To)>();
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && (ulong)range.From <= (ulong)merged[^1].To + 1) merged[^1] = (merged[^1].From, Math.Max(merged[^1].To, range.To));
            else merged.Add(range);
        }
        return merged;
    }

    /// <summary>
    /// The numbers of the set in the order written, each range ascending, "*" taken as <paramref name="largest"/> and
    /// nothing above it (RFC 7162 3.2.5's known-uids and seq-match-data); more than <paramref name="limit"/> is refused.
    /// </summary>
    public IEnumerable<uint> Numbers(uint largest = uint.MaxValue, int limit = 100_000)
    {
        var count = 0;
        foreach (var (from, to) in _ranges)
        {
            var a = from == Star ? largest : from;
            var b = to == Star ? largest : to;
            if (a > b) (a, b) = (b, a);
            for (var n = (ulong)a; n <= Math.Min(b, largest); n++)
            {
                if (++count > limit) throw new ImapSyntaxException("Too many numbers in the set.");
                yield return (uint)n;
            }
        }
    }
}
