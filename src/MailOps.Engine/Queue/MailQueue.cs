using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using MailOps.Engine.Platform;
using MimeKit.IO;

namespace MailOps.Engine.Queue;

/// <summary>
/// The durable queue: one directory per <see cref="QueueState"/> under a root. A message is one file, <c>&lt;id&gt;.eml</c>,
/// holding the content followed by the JSON <see cref="Envelope"/> and a fixed trailer that gives both lengths (as
/// Postfix's queue file holds content and envelope records), so that one fsync makes both durable. The file is written
/// in place and the trailer, written last, makes it complete: a message exists once its .eml file has its trailer. Earlier versions wrote the envelope
/// beside the content as <c>&lt;id&gt;.env</c>; such a message (a .eml without the trailer) is still read, and becomes
/// one file at its first envelope rewrite.
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

    /// <summary>Makes the renames into <paramref name="state"/>'s directory done before the call durable, sharing the fsync with concurrent callers.</summary>
    internal Task SyncSharedAsync(QueueState state) => DirectorySyncGroup.For(DirectoryOf(state)).SyncAsync();

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
        foreach (string file in Directory.EnumerateFiles(DirectoryOf(state), "*.eml"))
        {
            string id = Path.GetFileNameWithoutExtension(file);
            if (QueueId.IsValid(id) && IsComplete(state, id))
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
            if (File.Exists(ContentPath(state, queueId)) && IsComplete(state, queueId))
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
        Stream stream = OpenEnvelope(state, queueId);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync<Envelope>(stream, JsonOptions, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"The envelope of {queueId} is empty.");
        }
    }

    /// <summary>
    /// Replaces the envelope of a queued message atomically (e.g. after a delivery attempt updates statuses): the queue
    /// file is written anew with the same content and the new envelope, and renamed over the old one. Rare (a message
    /// that stays queued), so the copy of the content costs less than a second file on every message would.
    /// </summary>
    public async Task WriteEnvelopeAsync(QueueState state, Envelope envelope, CancellationToken cancellationToken)
    {
        RequireValid(envelope.QueueId);
        string target = ContentPath(state, envelope.QueueId);
        string temporary = target + ".tmp";
        await using (var content = OpenContent(state, envelope.QueueId))
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 65536, useAsync: false))
        {
            await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            // Why the fsync inside: the rename below must not replace the queue file by one a crash leaves unwritten.
            AppendEnvelope(file, envelope);
        }

        File.Move(temporary, target, overwrite: true);
        // The trailer now wins over an earlier version's .env, which is left over.
        File.Delete(EnvelopePath(state, envelope.QueueId));
        // Why: a crash must not bring back the old envelope (a retry from deferred would then repeat delivered copies).
        Posix.FsyncDirectory(DirectoryOf(state));
    }

    /// <summary>Opens the stored content (with our Received: header first) of a queued message for reading.</summary>
    public Stream OpenContent(QueueState state, string queueId)
    {
        RequireValid(queueId);
        var file = File.OpenRead(ContentPath(state, queueId));
        try
        {
            return ReadTrailer(file) is { } trailer
                ? new BoundStream(file, 0, trailer.ContentLength, leaveOpen: false)
                : file; // an earlier version's content file: all of it is content
        }
        catch
        {
            file.Dispose();
            throw;
        }
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

        // One file; an earlier version's .env follows its content, as that version moved them.
        File.Move(ContentPath(from, queueId), ContentPath(to, queueId));
        if (File.Exists(EnvelopePath(from, queueId)))
        {
            File.Move(EnvelopePath(from, queueId), EnvelopePath(to, queueId));
        }
        if (!sync)
        {
            return;
        }

        Posix.FsyncDirectory(DirectoryOf(to));
        Posix.FsyncDirectory(DirectoryOf(from));
    }

    /// <summary>Makes the renames and removals done so far in <paramref name="state"/>'s directory durable (one fsync).</summary>
    public void Sync(QueueState state) => Posix.FsyncDirectory(DirectoryOf(state));

    /// <summary>
    /// Removes a message from the queue (after final delivery or on the administrator's request); durably unless
    /// <paramref name="sync"/> is false, for a caller to whom a message coming back after a power loss does no harm.
    /// </summary>
    public void Delete(QueueState state, string queueId, bool sync = true)
    {
        RequireValid(queueId);
        // The queue file first: an earlier version's .env left behind alone is never listed.
        File.Delete(ContentPath(state, queueId));
        File.Delete(EnvelopePath(state, queueId));
        if (sync)
        {
            Posix.FsyncDirectory(DirectoryOf(state));
        }
    }

    /// <summary>
    /// Deletes what a crash can leave in incoming/ and hold/: temporary files, and queue files without their trailer
    /// (being written, never acknowledged with 250, so the client still owns the message). Call once at start-up, before
    /// listeners open.
    /// </summary>
    public int RemoveLeftovers()
    {
        int removed = 0;
        foreach (var state in new[] { QueueState.Incoming, QueueState.Hold })
        {
            foreach (string file in Directory.EnumerateFiles(DirectoryOf(state)))
            {
                bool temporary = file.EndsWith(".tmp", StringComparison.Ordinal);
                bool orphan = file.EndsWith(".eml", StringComparison.Ordinal) && !IsComplete(state, Path.GetFileNameWithoutExtension(file));
                if (temporary || orphan)
                {
                    File.Delete(file);
                    removed++;
                }
            }
        }

        return removed;
    }

    /// <summary>
    /// Appends the envelope record and the trailer to a queue file whose content is written, and fsyncs the file:
    /// content and envelope become durable together.
    /// </summary>
    internal static void AppendEnvelope(FileStream file, Envelope envelope)
    {
        file.Flush();
        long contentLength = file.Length;
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(envelope, JsonOptions);
        var trailer = new byte[TrailerLength];
        TrailerMagic.CopyTo(trailer);
        BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(8), contentLength);
        BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(16), json.Length);
        TrailerMagic.CopyTo(trailer.AsSpan(24));
        file.Write(json);
        file.Write(trailer);
        file.Flush(flushToDisk: true);
    }

    // The last TrailerLength bytes of a queue file: magic, content length, envelope length, magic (little-endian).
    private const int TrailerLength = 32;

    private static ReadOnlySpan<byte> TrailerMagic => "MailOpsQ"u8;

    private readonly record struct Trailer(long ContentLength, long EnvelopeLength);

    // The trailer of a queue file, or null for an earlier version's content-only file (its envelope is the .env file).
    private static Trailer? ReadTrailer(FileStream file)
    {
        long length = file.Length;
        if (length < TrailerLength)
        {
            return null;
        }

        Span<byte> trailer = stackalloc byte[TrailerLength];
        file.Seek(length - TrailerLength, SeekOrigin.Begin);
        file.ReadExactly(trailer);
        file.Seek(0, SeekOrigin.Begin);
        long content = BinaryPrimitives.ReadInt64LittleEndian(trailer[8..]);
        long envelope = BinaryPrimitives.ReadInt64LittleEndian(trailer[16..]);
        bool valid = trailer[..8].SequenceEqual(TrailerMagic) && trailer[24..].SequenceEqual(TrailerMagic)
            && content >= 0 && envelope > 0 && content + envelope + TrailerLength == length;
        return valid ? new Trailer(content, envelope) : null;
    }

    // The envelope record of a queue file, or (earlier versions) the .env file beside the content.
    private Stream OpenEnvelope(QueueState state, string queueId)
    {
        var file = File.OpenRead(ContentPath(state, queueId));
        if (ReadTrailer(file) is { } trailer)
        {
            return new BoundStream(file, trailer.ContentLength, trailer.ContentLength + trailer.EnvelopeLength, leaveOpen: false);
        }

        file.Dispose();
        return File.OpenRead(EnvelopePath(state, queueId));
    }

    // A queue file with its envelope: the trailer, or (earlier versions) the .env beside it.
    private bool IsComplete(QueueState state, string queueId)
    {
        if (File.Exists(EnvelopePath(state, queueId)))
        {
            return true;
        }

        try
        {
            using var file = new FileStream(ContentPath(state, queueId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            return ReadTrailer(file) is not null;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
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
