using MailOps.Authentication;

namespace MailOps.Engine.Authentication;

/// <summary>What the authentication stage decided for one message at the end of DATA.</summary>
/// <param name="Headers">Header lines to prepend (Authentication-Results, DKIM-Signature), CRLF-ended; empty for none.</param>
/// <param name="Refusal">The reply refusing the message (550 5.7.1 for a DMARC reject), or null to accept it.</param>
/// <param name="Hold">True to queue the message in hold/ instead of incoming/ (DMARC quarantine).</param>
/// <param name="Summary">The verdicts in a few words, for the log; null when nothing was checked.</param>
public sealed record AuthenticationOutcome(byte[] Headers, (int Code, string EnhancedCode, string Text)? Refusal, bool Hold, string? Summary)
{
    /// <summary>Nothing to add, nothing to refuse.</summary>
    public static AuthenticationOutcome Nothing { get; } = new([], null, false, null);

    /// <summary>The SPF, DKIM and DMARC verdicts of a received message, for the log; null when the message was not checked.</summary>
    public MessageAuthenticationResult? Verdicts { get; init; }

    /// <summary>
    /// Byte ranges of the content to delete before queueing: Authentication-Results fields that claim our authserv-id
    /// (RFC 8601 5); empty for none.
    /// </summary>
    public IReadOnlyList<(long Start, long Length)> ForgedHeaders { get; init; } = [];
}
