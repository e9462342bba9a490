using System.Text;

namespace MailOps.Engine.Auth;

/// <summary>
/// The server side of a SASL exchange (RFC 4422) for the mechanisms the engine offers, PLAIN (RFC 4616) and LOGIN,
/// shared by SMTP AUTH (RFC 4954) and POP3 AUTH (RFC 5034): the protocol only frames the challenges ("334 " or "+ ")
/// and maps the result to its replies; the decoding and the mechanisms' rules are here once.
/// </summary>
internal static class SaslExchange
{
    /// <summary>The mechanisms, as advertised.</summary>
    public static IReadOnlyList<string> Mechanisms { get; } = ["PLAIN", "LOGIN"];

    /// <summary>
    /// Runs <paramref name="mechanism"/> (any case) to the credentials it carries. <paramref name="challenge"/> sends one
    /// base64 challenge and returns the client's answer line, or null when the line was unusable (too long, bad ending).
    /// </summary>
    /// <param name="mechanism">The mechanism the client named.</param>
    /// <param name="initialResponse">The initial response on the command line (RFC 4422 4), null when none was given.</param>
    /// <param name="challenge">Sends a challenge, reads the answer.</param>
    public static async Task<SaslResult> RunAsync(string mechanism, string? initialResponse, Func<string, Task<string?>> challenge)
    {
        switch (mechanism.ToUpperInvariant())
        {
            case "PLAIN":
            {
                var response = initialResponse is null ? Decode(await challenge("").ConfigureAwait(false)) : Decode(initialResponse);
                if (response is null) return new SaslResult(SaslStatus.Aborted, "PLAIN");
                // RFC 4616 2: [authzid] NUL authcid NUL passwd; acting for someone else is not offered.
                var parts = Encoding.UTF8.GetString(response).Split('\0');
                if (parts.Length != 3 || (parts[0].Length > 0 && parts[0] != parts[1])) return new SaslResult(SaslStatus.Malformed, "PLAIN");
                return new SaslResult(SaslStatus.Credentials, "PLAIN", parts[1], parts[2]);
            }
            case "LOGIN":
            {
                var name = initialResponse is null ? Decode(await challenge("VXNlcm5hbWU6").ConfigureAwait(false)) : Decode(initialResponse);
                var secret = name is null ? null : Decode(await challenge("UGFzc3dvcmQ6").ConfigureAwait(false));
                if (name is null || secret is null) return new SaslResult(SaslStatus.Aborted, "LOGIN");
                return new SaslResult(SaslStatus.Credentials, "LOGIN", Encoding.UTF8.GetString(name), Encoding.UTF8.GetString(secret));
            }
            default:
                return new SaslResult(SaslStatus.Unsupported, mechanism.ToUpperInvariant());
        }
    }

    /// <summary>A response's bytes; null for the client's cancel ("*", RFC 4422 3.5), an unusable line or bad base64.</summary>
    private static byte[]? Decode(string? base64)
    {
        if (base64 is null or "*") return null;
        // RFC 4954 4, RFC 5034 4: "=" is an empty initial response.
        if (base64 == "=") return [];
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
