namespace MailOps.Probes;

/// <summary>
/// The open-relay test: the address variants of nmap's smtp-open-relay script (quoted local parts, the %-hack, bang paths,
/// source routes, IP literals) tried one after another with RSET between them.
/// </summary>
public sealed class SmtpRelayTest
{
    /// <summary>Every attempt in the order tried.</summary>
    public IReadOnlyList<SmtpRelayAttempt> Attempts { get; init; } = [];
    /// <summary>The attempts whose RCPT TO was accepted.</summary>
    public IReadOnlyList<SmtpRelayAttempt> Accepted => Attempts.Where(a => a.Accepted).ToArray();
    /// <summary>At least one variant was accepted.</summary>
    public bool IsOpenRelay => Attempts.Any(a => a.Accepted);
    /// <summary>The outside domain the probe tried to relay to.</summary>
    public string RelayDomain { get; init; } = "";
    /// <summary>Why the test stopped early (e.g. the connection closed), or null.</summary>
    public string? Error { get; init; }
    /// <summary>What an accepted RCPT means: a server that accepts and later drops or bounces mail looks open to this test.</summary>
    public string Caveat => "An accepted RCPT TO shows the server takes the recipient; a server that accepts and then drops or bounces such mail looks open to this test.";

    /// <summary>
    /// The sixteen MAIL FROM / RCPT TO pairs of nmap's smtp-open-relay: <paramref name="domain"/> is the outside domain,
    /// <paramref name="serverName"/> the name the server gave in its EHLO reply, <paramref name="address"/> its IP address.
    /// </summary>
    public static IReadOnlyList<(string MailFrom, string RcptTo)> Variants(string domain, string serverName, string address)
    {
        var literal = $"[{address}]";
        var fromLiteral = $"<antispam@{literal}>";
        return
        [
            ("<>", $"<relaytest@{domain}>"),
            ($"<antispam@{domain}>", $"<relaytest@{domain}>"),
            ($"<antispam@{serverName}>", $"<relaytest@{domain}>"),
            (fromLiteral, $"<relaytest@{domain}>"),
            // The %-hack (RFC 1123 5.2.16 era): user%final@relay.
            (fromLiteral, $"<relaytest%{domain}@{literal}>"),
            (fromLiteral, $"<relaytest%{domain}@{serverName}>"),
            // Quoted local parts that hide an address (RFC 5321 4.1.2 Quoted-string).
            (fromLiteral, $"<\"relaytest@{domain}\">"),
            (fromLiteral, $"<\"relaytest%{domain}\">"),
            (fromLiteral, $"<relaytest@{domain}@{literal}>"),
            (fromLiteral, $"<\"relaytest@{domain}\"@{literal}>"),
            (fromLiteral, $"<relaytest@{domain}@{serverName}>"),
            // Source routes (RFC 5321 4.1.2 A-d-l, obsolete; C.2 says to accept and ignore them).
            (fromLiteral, $"<@{literal}:relaytest@{domain}>"),
            (fromLiteral, $"<@{serverName}:relaytest@{domain}>"),
            // UUCP bang paths.
            (fromLiteral, $"<{domain}!relaytest>"),
            (fromLiteral, $"<{domain}!relaytest@{literal}>"),
            (fromLiteral, $"<{domain}!relaytest@{serverName}>"),
        ];
    }

    /// <inheritdoc />
    public override string ToString() => IsOpenRelay ? $"OPEN RELAY: {Accepted.Count} of {Attempts.Count} variants accepted" : $"closed: 0 of {Attempts.Count} variants accepted";
}
