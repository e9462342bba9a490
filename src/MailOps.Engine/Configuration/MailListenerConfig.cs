using System.Net;

namespace MailOps.Engine.Configuration;

/// <summary>One listening socket: its kind and the address and port it binds.</summary>
/// <param name="Kind">What the socket serves.</param>
/// <param name="EndPoint">The IP address and port, e.g. 127.0.0.1:2525 or [::1]:2525.</param>
public sealed record MailListenerConfig(MailListenerKind Kind, IPEndPoint EndPoint)
{
    /// <summary>The address as the configuration file writes it: <c>127.0.0.1:2525</c>, <c>[::1]:2525</c>.</summary>
    public override string ToString() => $"{Kind} {EndPoint}";
}
