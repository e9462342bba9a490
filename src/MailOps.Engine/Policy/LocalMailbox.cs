namespace MailOps.Engine.Policy;

/// <summary>The mailbox a local recipient address is delivered to: the address without its +extension, in lower case.</summary>
internal static class LocalMailbox
{
    /// <summary>The mailbox (login name) of <paramref name="address"/>, e.g. Alice+news@example.com → alice@example.com.</summary>
    public static string Of(string address)
    {
        var at = address.LastIndexOf('@');
        if (at < 0) return address.ToLowerInvariant();
        var local = address[..at];
        var plus = local.IndexOf('+');
        if (plus > 0) local = local[..plus];
        return (local + address[at..]).ToLowerInvariant();
    }
}
