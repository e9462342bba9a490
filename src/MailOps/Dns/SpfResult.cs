namespace MailOps.Dns;

/// <summary>The result of SPF's check_host() (RFC 7208 2.6); the names are those of Received-SPF and Authentication-Results.</summary>
public enum SpfResult
{
    /// <summary>No SPF record, or no checkable domain (RFC 7208 2.6.1).</summary>
    None,
    /// <summary>The domain makes no statement about the client (RFC 7208 2.6.2).</summary>
    Neutral,
    /// <summary>The client is authorised (RFC 7208 2.6.3).</summary>
    Pass,
    /// <summary>The client is not authorised (RFC 7208 2.6.4).</summary>
    Fail,
    /// <summary>Probably not authorised (RFC 7208 2.6.5).</summary>
    SoftFail,
    /// <summary>A transient DNS error (RFC 7208 2.6.6).</summary>
    TempError,
    /// <summary>The records could not be interpreted (RFC 7208 2.6.7).</summary>
    PermError,
}

/// <summary>What check_host() decided and why.</summary>
/// <param name="Result">The result.</param>
/// <param name="Domain">The domain whose record was checked (the MAIL FROM or HELO domain).</param>
/// <param name="Sender">The sender the check was made for (<c>postmaster@helo</c> for the null sender).</param>
/// <param name="Mechanism">The mechanism that matched, as written, or null.</param>
/// <param name="Reason">Why, in a few words (for the comment in Authentication-Results).</param>
/// <param name="DnsLookups">DNS-querying terms evaluated.</param>
/// <param name="VoidLookups">Lookups that found nothing.</param>
public sealed record SpfVerdict(SpfResult Result, string Domain, string Sender, string? Mechanism, string Reason, int DnsLookups, int VoidLookups)
{
    /// <summary>The result's keyword: pass, fail, softfail, neutral, none, temperror, permerror.</summary>
    public string Keyword => Result.ToString().ToLowerInvariant();
}
