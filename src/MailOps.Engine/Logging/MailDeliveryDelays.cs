using System.Globalization;

namespace MailOps.Engine.Logging;

/// <summary>
/// The four parts of Postfix's <c>delays=a/b/c/d</c> field (postconf(5) "delay_logging_resolution_limit"):
/// time before the queue manager, in the queue manager, in connection setup, and in message transmission.
/// </summary>
/// <param name="BeforeQueueManager">a: from arrival until the message reached the active queue.</param>
/// <param name="InQueueManager">b: time in the active queue before delivery started.</param>
/// <param name="ConnectionSetup">c: connection set-up (DNS, HELO, TLS), zero for local delivery.</param>
/// <param name="Transmission">d: message transmission (writing the Maildir file for local delivery).</param>
public readonly record struct MailDeliveryDelays(TimeSpan BeforeQueueManager, TimeSpan InQueueManager, TimeSpan ConnectionSetup, TimeSpan Transmission)
{
    /// <summary>The total, Postfix's <c>delay=</c> field.</summary>
    public TimeSpan Total => BeforeQueueManager + InQueueManager + ConnectionSetup + Transmission;

    /// <summary>The <c>a/b/c/d</c> text of the <c>delays=</c> field.</summary>
    public override string ToString() =>
        $"{Format(BeforeQueueManager)}/{Format(InQueueManager)}/{Format(ConnectionSetup)}/{Format(Transmission)}";

    /// <summary>
    /// Formats one delay as Postfix's log_adhoc.c does with the default resolution limit of 2 digits:
    /// whole seconds from 10 s, one decimal from 1 s, two decimals below, trailing zeros dropped, "0" below 0.01 s.
    /// </summary>
    public static string Format(TimeSpan delay)
    {
        var seconds = Math.Max(0, delay.TotalSeconds);
        string text;
        if (seconds >= 10) return ((long)Math.Floor(seconds)).ToString(CultureInfo.InvariantCulture);
        else if (seconds >= 1) text = (Math.Floor(seconds * 10) / 10).ToString("0.0", CultureInfo.InvariantCulture);
        else if (seconds >= 0.01) text = (Math.Floor(seconds * 100) / 100).ToString("0.00", CultureInfo.InvariantCulture);
        else return "0";
        return text.TrimEnd('0').TrimEnd('.');
    }
}
