using System.Text;
using System.Text.RegularExpressions;

namespace MailOps.Queue;

/// <summary>
/// Which queued messages a listing returns (what <c>Get-MailQueue</c>'s parameters say). Every condition given must hold;
/// sender and recipient patterns are shell wildcards (<c>*</c>, <c>?</c>, <c>[a-z]</c>), compared without regard to case.
/// </summary>
public sealed record MailQueueFilter
{
    /// <summary>A filter that lets every message through.</summary>
    public static MailQueueFilter All { get; } = new();

    /// <summary>Only these queues (incoming, active, deferred, hold, corrupt); all when null or empty.</summary>
    public IReadOnlyList<string>? Queues { get; init; }

    /// <summary>Only messages whose envelope sender matches one of these patterns; "" or "&lt;&gt;" matches the null sender.</summary>
    public IReadOnlyList<string>? Senders { get; init; }

    /// <summary>Only messages with at least one open recipient matching one of these patterns.</summary>
    public IReadOnlyList<string>? Recipients { get; init; }

    /// <summary>Only messages that arrived at least this long ago.</summary>
    public TimeSpan? OlderThan { get; init; }

    /// <summary>Only these queue IDs (exact, case-sensitive as queue IDs are).</summary>
    public IReadOnlyList<string>? QueueIds { get; init; }

    /// <summary>True when <paramref name="queueName"/> is one the filter selects (so a listing can skip whole queues).</summary>
    public bool SelectsQueue(string queueName) =>
        Queues is not { Count: > 0 } || Queues.Contains(queueName, StringComparer.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="message"/> meets every condition.</summary>
    public bool Matches(MailQueueMessage message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!SelectsQueue(message.QueueName)) return false;
        if (QueueIds is { Count: > 0 } && !QueueIds.Contains(message.QueueId, StringComparer.Ordinal)) return false;
        if (OlderThan is { } age && message.ArrivalTime > now - age) return false;
        if (Senders is { Count: > 0 } && !Senders.Any(p => SenderMatches(p, message.Sender))) return false;
        if (Recipients is { Count: > 0 } && !message.Recipients.Any(r => Recipients.Any(p => WildcardMatches(p, r.Address)))) return false;
        return true;
    }

    private static bool SenderMatches(string pattern, string sender) =>
        pattern is "" or "<>" ? sender.Length == 0 : WildcardMatches(pattern, sender);

    /// <summary>True when <paramref name="text"/> matches the shell wildcard <paramref name="pattern"/>, ignoring case.</summary>
    public static bool WildcardMatches(string pattern, string text) =>
        Regex.IsMatch(text, ToRegex(pattern), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    // '*' any run, '?' one character, '[...]' a set (PowerShell's wildcard language); everything else literal.
    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var close = c == '[' ? pattern.IndexOf(']', i + 1) : -1;
            if (c == '*') regex.Append(".*");
            else if (c == '?') regex.Append('.');
            else if (close > i + 1)
            {
                regex.Append('[').Append(pattern.AsSpan(i + 1, close - i - 1).ToString().Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                i = close;
            }
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.Append('$').ToString();
    }
}
