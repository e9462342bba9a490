namespace MailOps.Engine.Logging;

/// <summary>
/// An SMTP client as Postfix names it in its log: <c>name[address]</c>, where name is the verified reverse-DNS
/// name or <c>unknown</c> (smtpd(8), "connect from").
/// </summary>
/// <param name="Name">The client's verified host name, or <c>unknown</c>.</param>
/// <param name="Address">The client's IP address as text, without brackets or port.</param>
public readonly record struct MailLogClient(string Name, string Address)
{
    /// <summary>A client without a verified name, shown as <c>unknown[address]</c> like Postfix.</summary>
    public static MailLogClient Unnamed(string address) => new("unknown", address);

    /// <summary>The form Postfix logs: <c>name[address]</c>.</summary>
    public override string ToString() => $"{(string.IsNullOrEmpty(Name) ? "unknown" : Name)}[{Address}]";
}
