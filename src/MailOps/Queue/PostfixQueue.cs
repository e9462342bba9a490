using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailOps.Hosts;

namespace MailOps.Queue;

/// <summary>
/// A Postfix queue on a host, read and changed through Postfix's own tools: <c>postqueue -j</c> (list),
/// <c>postsuper -d/-h/-H</c> (delete, hold, release), <c>postqueue -f/-i</c> (flush) and <c>postcat -q</c> (content).
/// Works the same over SSH and locally; every queue ID is checked before any command is started.
/// </summary>
public static partial class PostfixQueue
{
    /// <summary>
    /// How many queue IDs one postsuper command takes (each as its own <c>-d ID</c>): the host layer gives commands no
    /// standard input, so <c>postsuper -d -</c> is not used, and an SSH exec request must stay well below 256 KiB.
    /// </summary>
    public const int MaxQueueIdsPerCommand = 2000;

    /// <summary>
    /// True when <paramref name="queueId"/> is a Postfix queue ID: a short one (hexadecimal, at least 6 digits) or a long
    /// one (seconds and microseconds in Postfix's base-51 consonant alphabet, 'z', then the inode number in the same alphabet).
    /// </summary>
    public static bool IsQueueId(string? queueId) => queueId is { Length: <= 64 } && (ShortQueueId().IsMatch(queueId) || LongQueueId().IsMatch(queueId));

    /// <summary>Throws when <paramref name="queueId"/> is not a Postfix queue ID, so nothing shaped otherwise reaches a shell.</summary>
    /// <exception cref="ArgumentException">Not a queue ID.</exception>
    public static void CheckQueueId(string queueId)
    {
        if (!IsQueueId(queueId))
            throw new ArgumentException($"'{queueId}' is not a Postfix queue ID (hexadecimal like 4F930B3207C, or a long ID like 4dVd2x0Kq7zRjb4B).", nameof(queueId));
    }

    /// <summary>The messages in the queue that <paramref name="filter"/> selects, from <c>postqueue [-c dir] -j</c> on <paramref name="host"/>.</summary>
    /// <param name="host">Where postqueue runs.</param>
    /// <param name="configDirectory">The Postfix configuration directory (<c>-c</c>); null for the host's default.</param>
    /// <param name="filter">Which messages; <see cref="MailQueueFilter.All"/> for every one.</param>
    /// <param name="cancellationToken">Stops the command.</param>
    /// <exception cref="HostCommandException">postqueue failed (for instance, Postfix is not running).</exception>
    /// <exception cref="FormatException">A line was not a postqueue -j record.</exception>
    public static async Task<IReadOnlyList<MailQueueMessage>> ListAsync(HostConnection host, string? configDirectory, MailQueueFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(filter);
        var command = Command("postqueue", configDirectory, "-j");
        var found = new List<MailQueueMessage>();
        var now = DateTimeOffset.UtcNow;
        await using var running = await host.StartAsync(command, cancellationToken).ConfigureAwait(false);
        using (var reader = new StreamReader(running.Output, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true))
        {
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0) continue;
                var message = PostqueueJson.Parse(line, host.ComputerName) with { ConfigDirectory = configDirectory };
                if (filter.Matches(message, now)) found.Add(message);
            }
        }
        var (exitCode, error) = await running.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (exitCode != 0) throw new HostCommandException(host.ComputerName, command, new HostCommandResult(exitCode, "", error));
        return found;
    }

    /// <summary>Deletes the messages (<c>postsuper -d ID -d ID ...</c>, <see cref="MaxQueueIdsPerCommand"/> per command); returns how many postsuper deleted.</summary>
    /// <exception cref="ArgumentException">An ID is not a Postfix queue ID (then no command ran).</exception>
    /// <exception cref="HostCommandException">postsuper failed.</exception>
    public static Task<int> DeleteAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken = default) =>
        SuperAsync(host, configDirectory, "-d", queueIds, DeletedCount(), cancellationToken);

    /// <summary>Puts the messages on hold (<c>postsuper -h</c>); returns how many postsuper placed on hold.</summary>
    /// <exception cref="ArgumentException">An ID is not a Postfix queue ID (then no command ran).</exception>
    /// <exception cref="HostCommandException">postsuper failed.</exception>
    public static Task<int> HoldAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken = default) =>
        SuperAsync(host, configDirectory, "-h", queueIds, HeldCount(), cancellationToken);

    /// <summary>Releases held messages (<c>postsuper -H</c>); returns how many postsuper released.</summary>
    /// <exception cref="ArgumentException">An ID is not a Postfix queue ID (then no command ran).</exception>
    /// <exception cref="HostCommandException">postsuper failed.</exception>
    public static Task<int> ReleaseAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken = default) =>
        SuperAsync(host, configDirectory, "-H", queueIds, ReleasedCount(), cancellationToken);

    /// <summary>Flushes the queue (<c>postqueue -f</c>): every deferred message is attempted now.</summary>
    /// <exception cref="HostCommandException">postqueue failed.</exception>
    public static async Task FlushAsync(HostConnection host, string? configDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        await host.RunForOutputAsync(Command("postqueue", configDirectory, "-f"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Schedules each message for delivery now (<c>postqueue -i ID</c>, one command per ID, as postqueue takes one).</summary>
    /// <exception cref="ArgumentException">An ID is not a Postfix queue ID (then no command ran).</exception>
    /// <exception cref="HostCommandException">postqueue failed.</exception>
    public static async Task FlushAsync(HostConnection host, string? configDirectory, IReadOnlyCollection<string> queueIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(queueIds);
        foreach (var id in queueIds) CheckQueueId(id);
        foreach (var id in queueIds)
            await host.RunForOutputAsync(Command("postqueue", configDirectory, "-i", id), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The envelope, headers and body of one queued message (<c>postcat -q ID</c>).</summary>
    /// <exception cref="ArgumentException">The ID is not a Postfix queue ID (then no command ran).</exception>
    /// <exception cref="MailQueueMessageNotFoundException">No such message in the queue.</exception>
    /// <exception cref="HostCommandException">postcat failed.</exception>
    public static async Task<MailQueueMessageContent> ReadAsync(HostConnection host, string? configDirectory, string queueId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        CheckQueueId(queueId);
        var command = Command("postcat", configDirectory, "-q", queueId);
        var result = await host.RunAsync(command, cancellationToken).ConfigureAwait(false);
        // postcat: "fatal: open queue file ID: No such file or directory" when the message is gone.
        if (!result.Succeeded && result.Error.Contains("No such file", StringComparison.Ordinal)) throw new MailQueueMessageNotFoundException(queueId);
        if (!result.Succeeded) throw new HostCommandException(host.ComputerName, command, result);
        return ParsePostcat(result.Output, queueId, host.ComputerName);
    }

    /// <summary>
    /// Reads <c>postcat -q</c> output: the envelope records (sender, recipient, message_arrival_time), the message between
    /// "MESSAGE CONTENTS" and "HEADER EXTRACTED", and the recipients extracted from headers after it.
    /// </summary>
    /// <exception cref="FormatException">The text is not postcat output.</exception>
    public static MailQueueMessageContent ParsePostcat(string output, string queueId, string computerName)
    {
        ArgumentNullException.ThrowIfNull(output);
        string? section = null;
        string? queueName = null;
        var sender = "";
        DateTimeOffset? arrival = null;
        var recipients = new List<string>();
        var content = new StringBuilder();
        using var reader = new StringReader(output);
        while (reader.ReadLine() is { } line)
        {
            var marker = SectionMarker().Match(line);
            if (marker.Success)
            {
                section = marker.Groups["section"].Value;
                // "deferred/6/6F09AB321D1" (hashed queue directories) or "deferred/6F09AB321D1".
                queueName ??= marker.Groups["path"].Value.Split('/')[0];
                continue;
            }
            if (section == "MESSAGE CONTENTS")
            {
                content.Append(line).Append("\r\n");
                continue;
            }
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (section is null || colon < 0) continue;
            var (name, value) = (line[..colon], line[(colon + 2)..].Trim());
            switch (name)
            {
                case "sender": sender = value; break;
                case "recipient": recipients.Add(value); break;
                case "message_arrival_time" when DateTime.TryParseExact(value, "ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture, DateTimeStyles.AllowInnerWhite | DateTimeStyles.AssumeLocal, out var time):
                    arrival = new DateTimeOffset(time);
                    break;
            }
        }
        if (queueName is null) throw new FormatException($"Not postcat output for {queueId}.");
        var bytes = Encoding.UTF8.GetBytes(content.ToString());
        return MailQueueMessageContent.FromContent(bytes, queueId, queueName, sender, recipients, arrival, computerName);
    }

    private static async Task<int> SuperAsync(HostConnection host, string? configDirectory, string option, IReadOnlyCollection<string> queueIds, Regex summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(queueIds);
        foreach (var id in queueIds) CheckQueueId(id);
        var done = 0;
        foreach (var chunk in queueIds.Distinct(StringComparer.Ordinal).Chunk(MaxQueueIdsPerCommand))
        {
            var command = Command("postsuper", configDirectory, [.. chunk.SelectMany(id => new[] { option, id })]);
            var result = await host.RunAsync(command, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded) throw new HostCommandException(host.ComputerName, command, result);
            // postsuper reports on standard error: "postsuper: Deleted: 3 messages".
            var count = summary.Match(result.Error);
            if (count.Success) done += int.Parse(count.Groups["n"].Value, CultureInfo.InvariantCulture);
        }
        return done;
    }

    private static HostCommand Command(string program, string? configDirectory, params string[] arguments) =>
        new(program, string.IsNullOrEmpty(configDirectory) ? arguments : ["-c", configDirectory, .. arguments]);

    [GeneratedRegex(@"\A[0-9A-F]{6,}\z")]
    private static partial Regex ShortQueueId();

    // Postfix mail_queue.h: MQID_LG_ENCODE_CHARS, digits and consonants without 'z', which separates time from inode.
    [GeneratedRegex(@"\A[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+\z")]
    private static partial Regex LongQueueId();

    [GeneratedRegex(@"^\*\*\* (?<section>ENVELOPE RECORDS|MESSAGE CONTENTS|HEADER EXTRACTED|MESSAGE FILE END) (?<path>\S+) \*\*\*$")]
    private static partial Regex SectionMarker();

    [GeneratedRegex(@"Deleted: (?<n>\d+) message")]
    private static partial Regex DeletedCount();

    [GeneratedRegex(@"Placed on hold: (?<n>\d+) message")]
    private static partial Regex HeldCount();

    [GeneratedRegex(@"Released from hold: (?<n>\d+) message")]
    private static partial Regex ReleasedCount();
}
