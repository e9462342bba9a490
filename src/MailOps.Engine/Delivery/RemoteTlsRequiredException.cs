namespace MailOps.Engine.Delivery;

/// <summary>The destination's TLS policy is "encrypt" and the server did not offer STARTTLS (Postfix defers with 4.7.4).</summary>
internal sealed class RemoteTlsRequiredException : Exception
{
    public RemoteTlsRequiredException() : base("TLS is required, but was not offered") { }
}
