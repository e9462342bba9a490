namespace MailOps.Config;

/// <summary>One master.cf service as <c>postconf -M</c> reports it (master(5) columns).</summary>
public sealed class PostfixService
{
    /// <summary>The service name (column 1), e.g. <c>smtp</c>, <c>submission</c>, <c>127.0.0.1:2525</c>.</summary>
    public required string Service { get; init; }

    /// <summary>The transport type: inet, unix, unix-dgram, fifo or pass.</summary>
    public required string Type { get; init; }

    /// <summary>Private column: y, n or - (default y).</summary>
    public required string Private { get; init; }

    /// <summary>Unprivileged column: y, n or - (default y).</summary>
    public required string Unprivileged { get; init; }

    /// <summary>Chroot column: y, n or - (default n since Postfix 3.0; Debian's master.cf says y).</summary>
    public required string Chroot { get; init; }

    /// <summary>Wakeup column: seconds, optionally with ?, or -.</summary>
    public required string Wakeup { get; init; }

    /// <summary>Maxproc column: a number, or - for default_process_limit.</summary>
    public required string MaxProcesses { get; init; }

    /// <summary>The command and its arguments, including -o overrides.</summary>
    public required string Command { get; init; }

    /// <summary>The master.cf the service came from.</summary>
    public required string Source { get; init; }

    /// <summary>The host the service was read on.</summary>
    public required string ComputerName { get; init; }
}
