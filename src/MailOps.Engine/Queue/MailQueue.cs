using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailOps.Engine.Queue;

/// <summary>
/// The durable queue: one directory per <see cref="QueueState"/> under a root, a message is <c>&lt;id&gt;.eml</c>
/// (content) plus <c>&lt;id&gt;.env</c> (JSON <see cref="Envelope"/>). A message exists once its .env file exists.
/// </summary>
public sealed class MailQueue
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Opens (creating when missing) the queue at <paramref name="root"/>.</summary>
    public MailQueue(string root)
    {
        Root = Path.GetFullPath(root);
        foreach (QueueState state in Enum.GetValues<QueueState>())
        {
            Directory.CreateDirectory(DirectoryOf(state));
        }
    }

    /// <summary>The queue root directory.</summary>
    public string Root { get; }

    /// <summary>The directory holding messages in <paramref name="state"/>, e.g. <c>root/incoming</c>.</summary>
    public string DirectoryOf(QueueState state) => Path.Combine(Root, state.ToString().ToLowerInvariant());

    /// <summary>Starts receiving a new message; its content goes to a temporary file until committed.</summary>
    public QueuedMessageWriter BeginMessage() => new(this, QueueId.New());

    /// <summary>
    /// Starts writing a message under a queue id given out earlier (smtpd names the transaction at its first accepted
    /// recipient, before any data arrives).
    /// </summary>
    public QueuedMessageWriter BeginMessage(string queueId)
    {
        RequireValid(queueId);
        return new(this, queueId);
    }

    /// <summary>The queue IDs of the complete messages in <paramref name="state"/>, oldest first.</summary>
    public IReadOnlyList<string> List(QueueState state)
    {
        var ids = new List<string>();
        foreach (string file in Directory.EnumerateFiles(DirectoryOf(state), "*.env"))
        {
            string id = Path.GetFileNameWithoutExtension(file);
            if (QueueId.IsValid(id))
            {
                ids.Add(id);
            }
        }

        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>The state the message <paramref name="queueId"/> is in, or null when it is not in the queue.</summary>
    public QueueState? Find(string queueId)
    {
        RequireValid(queueId);
        foreach (QueueState state in Enum.GetValues<QueueState>())
        {
            if (File.Exists(EnvelopePath(state, queueId)))
            {
                return state;
            }
        }

        return null;
    }

    /// <summary>Reads the envelope of a queued message.</summary>
    public async Task<Envelope> ReadEnvelopeAsync(QueueState state, string queueId, CancellationToken cancellationToken)
    {
        RequireValid(queueId);
        await using var stream = File.OpenRead(EnvelopePath(state, queueId));
        return await JsonSerializer.DeserializeAsync<Envelope>(stream, JsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"The envelope of {queueId} is empty.");
    }

    /// <summary>Replaces the envelope of a queued message atomically (e.g. after a delivery attempt updates statuses).</summary>
    public async Task WriteEnvelopeAsync(QueueState state, Envelope envelope, CancellationToken cancellationToken)
    {
        RequireValid(envelope.QueueId);
        string target = EnvelopePath(state, envelope.QueueId);
        string temporary = target + ".tmp";
        await WriteEnvelopeFileAsync(temporary, envelope, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, target, overwrite: true);
        DurableFile.SyncDirectory(DirectoryOf(state));
    }

    /// <summary>Opens the stored content (with our Received: header first) of a queued message for reading.</summary>
    public Stream OpenContent(QueueState state, string queueId)
    {
        RequireValid(queueId);
        return File.OpenRead(ContentPath(state, queueId));
    }

    /// <summary>
    /// Moves a message from one state to another, durably unless <paramref name="sync"/> is false (then the caller
    /// calls <see cref="Sync"/> for <paramref name="to"/> itself, once for a batch of moves).
    /// </summary>
    public void Move(string queueId, QueueState from, QueueState to, bool sync = true)
    {
        RequireValid(queueId);
        if (from == to)
        {
            return;
        }

        // Content first, envelope last: the message appears in the new state only when both files are there.
        File.Move(ContentPath(from, queueId), ContentPath(to, queueId));
        File.Move(EnvelopePath(from, queueId), EnvelopePath(to, queueId));
        if (!sync)
        {
            return;
        }

        DurableFile.SyncDirectory(DirectoryOf(to));
        DurableFile.SyncDirectory(DirectoryOf(from));
    }

    /// <summary>Makes the renames and removals done so far in <paramref name="state"/>'s directory durable (one fsync).</summary>
    public void Sync(QueueState state) => DurableFile.SyncDirectory(DirectoryOf(state));

    /// <summary>
    /// Removes a message from the queue (after final delivery or on the administrator's request); durably unless
    /// <paramref name="sync"/> is false, for a caller to whom a message coming back after a power loss does no harm.
    /// </summary>
    public void Delete(QueueState state, string queueId, bool sync = true)
    {
        RequireValid(queueId);
        // Envelope first: a half-deleted message is content without an envelope, which is never listed.
        File.Delete(EnvelopePath(state, queueId));
        File.Delete(ContentPath(state, queueId));
        if (sync)
        {
            DurableFile.SyncDirectory(DirectoryOf(state));
        }
    }

    /// <summary>
    /// Deletes what a crash can leave in incoming/: temporary files and content without an envelope (never acknowledged
    /// with 250, so the client still owns the message). Call once at start-up, before listeners open.
    /// </summary>
    public int RemoveLeftovers()
    {
        int removed = 0;
        string incoming = DirectoryOf(QueueState.Incoming);
        foreach (string file in Directory.EnumerateFiles(incoming))
        {
            bool temporary = file.EndsWith(".tmp", StringComparison.Ordinal);
            bool orphan = file.EndsWith(".eml", StringComparison.Ordinal) && !File.Exists(Path.ChangeExtension(file, ".env"));
            if (temporary || orphan)
            {
                File.Delete(file);
                removed++;
            }
        }

        return removed;
    }

    internal static async Task WriteEnvelopeFileAsync(string path, Envelope envelope, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: false);
        await JsonSerializer.SerializeAsync(stream, envelope, JsonOptions, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        stream.Flush(flushToDisk: true);
    }

    private string EnvelopePath(QueueState state, string queueId) => Path.Combine(DirectoryOf(state), queueId + ".env");

    private string ContentPath(QueueState state, string queueId) => Path.Combine(DirectoryOf(state), queueId + ".eml");

    private static void RequireValid(string queueId)
    {
        if (!QueueId.IsValid(queueId))
        {
            throw new ArgumentException($"'{queueId}' is not a queue ID.", nameof(queueId));
        }
    }
}
