using System.Net;
using MailOps.Engine.Smtp;

namespace MailOps.Engine.Listeners;

/// <summary>Where an SMTP listener listens, what kind it is, its connection limits and its sessions' settings.</summary>
public sealed record SmtpListenerOptions
{
    /// <summary>The address and port to listen on; port 0 picks a free port (see <see cref="MailListener.LocalEndPoint"/>).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>The kind of listener; Submission and SubmissionTls require AUTH, SubmissionTls needs a certificate.</summary>
    public SmtpListenerKind Kind { get; init; } = SmtpListenerKind.Mta;

    /// <summary>The most sessions at once; further clients get 421 4.7.0 (Postfix default_process_limit).</summary>
    public int MaxConnections { get; init; } = 100;

    /// <summary>The most sessions at once from one client address (Postfix smtpd_client_connection_count_limit).</summary>
    public int MaxConnectionsPerClient { get; init; } = 50;

    /// <summary>On stop, how long sessions in the middle of message data may take to finish before they get 421 4.3.2.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The settings of each session; the listener kind sets RequireAuthentication and ImplicitTls.</summary>
    public SmtpSessionOptions Session { get; init; } = new();
}
