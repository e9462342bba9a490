using System.Net;

namespace MailOps.Engine;

/// <summary>One socket a running server listens on.</summary>
/// <param name="Protocol">"SMTP", "Submission" or "Submissions" (implicit TLS).</param>
/// <param name="EndPoint">The address and port.</param>
public sealed record MailServerEndpoint(string Protocol, IPEndPoint EndPoint)
{
    /// <inheritdoc />
    public override string ToString() => $"{Protocol} {EndPoint}";
}
