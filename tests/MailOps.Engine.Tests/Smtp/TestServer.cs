using System.Net;
using MailOps.Engine.Listeners;
using MailOps.Engine.Policy;
using MailOps.Engine.Queue;
using MailOps.Engine.Smtp;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>A listener on 127.0.0.1 with a fresh queue in a temporary directory, removed on dispose.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private TestServer(SmtpListener listener, MailQueue queue, RecordingObserver observer)
    {
        Listener = listener;
        Queue = queue;
        Events = observer;
    }

    /// <summary>The running listener.</summary>
    public SmtpListener Listener { get; }

    /// <summary>The queue it writes to.</summary>
    public MailQueue Queue { get; }

    /// <summary>Every session event so far.</summary>
    public RecordingObserver Events { get; }

    /// <summary>The port it listens on.</summary>
    public int Port => Listener.LocalEndPoint.Port;

    /// <summary>Starts a server; <paramref name="configure"/> may change the listener options (port is always free).</summary>
    public static TestServer Start(
        SmtpListenerKind kind = SmtpListenerKind.Mta,
        Func<SmtpSessionOptions, SmtpSessionOptions>? session = null,
        Func<SmtpListenerOptions, SmtpListenerOptions>? configure = null,
        IEnumerable<string>? myNetworks = null)
    {
        string root = Path.Combine(Path.GetTempPath(), "mailops-queue-" + Guid.NewGuid().ToString("N"));
        var queue = new MailQueue(root);
        var sessionOptions = new SmtpSessionOptions { HostName = "mx.local.test", Certificate = TestCertificate.Localhost };
        var options = new SmtpListenerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Kind = kind,
            Session = session is null ? sessionOptions : session(sessionOptions),
        };
        options = configure is null ? options : configure(options);
        var policy = RelayPolicy.FromCidrs(DictionaryRecipients.Standard, myNetworks ?? []);
        var observer = new RecordingObserver();
        var listener = new SmtpListener(options, policy, queue, PasswordList.Standard, observer);
        listener.Start();
        return new TestServer(listener, queue, observer);
    }

    /// <summary>The envelopes of everything in incoming/, in queue-ID order.</summary>
    public async Task<List<Envelope>> IncomingAsync()
    {
        var list = new List<Envelope>();
        foreach (string id in Queue.List(QueueState.Incoming))
        {
            list.Add(await Queue.ReadEnvelopeAsync(QueueState.Incoming, id, CancellationToken.None));
        }

        return list;
    }

    /// <summary>The stored content of a queued message as text.</summary>
    public string Content(string queueId)
    {
        using var reader = new StreamReader(Queue.OpenContent(QueueState.Incoming, queueId));
        return reader.ReadToEnd();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Listener.StopAsync(cut.Token);
        await Listener.DisposeAsync();
        try
        {
            Directory.Delete(Queue.Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
