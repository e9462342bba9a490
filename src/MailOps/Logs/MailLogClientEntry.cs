namespace MailOps.Logs;

/// <summary>
/// A message entering the queue: smtpd's <c>QUEUEID: client=name[addr]</c> (with <c>sasl_method</c>, <c>sasl_username</c>
/// after AUTH) or pickup's <c>QUEUEID: uid=N from=&lt;s&gt;</c> (<see cref="MailLogEventKind.Pickup"/>).
/// pflogsumm counts these lines as "received".
/// </summary>
public sealed class MailLogClientEntry : MailLogEntry
{
    /// <summary>The client's verified name or <c>unknown</c>; null for pickup.</summary>
    public string? ClientName { get; init; }

    /// <summary>The client's IP address; null for pickup.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The SASL mechanism the client authenticated with, or null.</summary>
    public string? SaslMethod { get; init; }

    /// <summary>The SASL user name the client authenticated as, or null.</summary>
    public string? SaslUsername { get; init; }

    /// <summary>For pickup, the sender (<c>from=</c>) and submitting uid.</summary>
    public string? Sender { get; init; }

    /// <summary>For pickup, the submitting user's uid.</summary>
    public int? Uid { get; init; }
}
