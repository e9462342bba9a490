using System.Text.Json;
using System.Text.Json.Serialization;
using MailOps.Queue;

namespace MailOps.Engine.Delivery;

/// <summary>
/// The control socket's conversation: one JSON request line from the client (list, hold, release, delete, flush), then
/// JSON reply lines from the server (each a message, or an error), the last one with <c>end</c> set.
/// </summary>
internal static class QueueControlProtocol
{
    public const string List = "list";
    public const string Hold = "hold";
    public const string Release = "release";
    public const string Delete = "delete";
    public const string Flush = "flush";
    public const string FlushAll = "flush-all";

    public const string NotFound = "not-found";
    public const string WrongState = "wrong-state";
    public const string Failed = "failed";

    // A request line longer than this is not ours.
    public const int MaxRequestLength = 1 << 20;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>A request to the control socket.</summary>
internal sealed record QueueControlRequest(string Command, string? QueueId = null, bool NotifySender = false, MailQueueFilter? Filter = null);

/// <summary>One reply line: a message, or an error (<see cref="QueueControlProtocol.NotFound"/>, ...); <see cref="End"/> on the last.</summary>
internal sealed record QueueControlReply(MailQueueMessage? Message = null, string? Error = null, string? Text = null, bool End = false);
