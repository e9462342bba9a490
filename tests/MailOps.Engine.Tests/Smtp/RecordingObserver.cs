using System.Collections.Concurrent;
using MailOps.Engine.Smtp;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>Keeps every session event, for tests that check what the log writer would see.</summary>
public sealed class RecordingObserver : ISmtpSessionObserver
{
    /// <summary>The events, in arrival order.</summary>
    public ConcurrentQueue<SmtpSessionEvent> All { get; } = new();

    /// <inheritdoc/>
    public void OnEvent(SmtpSessionEvent sessionEvent) => All.Enqueue(sessionEvent);
}
