namespace MailOps.Authentication;

/// <summary>The verification result of one DKIM-Signature header (RFC 8601 2.7.1 names).</summary>
/// <param name="Result">pass, fail, neutral (signature unreadable), temperror or permerror.</param>
/// <param name="Domain">The signing domain d=, or null when unreadable.</param>
/// <param name="Selector">The selector s=, or null.</param>
/// <param name="Algorithm">The a= tag (rsa-sha256, ed25519-sha256), or null.</param>
/// <param name="Reason">Why it did not pass, or null.</param>
public sealed record DkimVerdict(string Result, string? Domain, string? Selector, string? Algorithm, string? Reason);
