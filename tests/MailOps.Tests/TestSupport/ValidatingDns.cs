namespace MailOps.Tests.TestSupport;

/// <summary>
/// Zones signed at test time, served by a private nsd, and a validating unbound in front of it:
/// signed.test (valid signatures, trust anchor given), expired.test (signatures expired in 2020: bogus), unsigned.test.
/// </summary>
public sealed class ValidatingDns : IDisposable
{
    private const string Tlsa = "3 1 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// <summary>The authoritative server of the three zones.</summary>
    public NsdServer Nsd { get; }
    /// <summary>The validating resolver.</summary>
    public UnboundServer Unbound { get; }

    /// <summary>Signs the zones, starts nsd and unbound.</summary>
    public ValidatingDns()
    {
        var signed = SignedZone.Sign("signed.test", Zone("signed.test", 140));
        var expired = SignedZone.Sign("expired.test", Zone("expired.test", 141), expired: true);
        Nsd = NsdServer.Start(new Dictionary<string, string>
        {
            ["signed.test"] = signed.Text,
            ["expired.test"] = expired.Text,
            ["unsigned.test"] = Zone("unsigned.test", 142),
        });
        try
        {
            Unbound = UnboundServer.Start(Nsd, ["signed.test", "expired.test", "unsigned.test"], [signed.Ds, expired.Ds]);
        }
        catch
        {
            Nsd.Dispose();
            throw;
        }
    }

    /// <summary>A resolver that asks the validating unbound.</summary>
    public MailOps.Dns.MailDnsResolver ViaUnbound() => new([Unbound.Endpoint], TimeSpan.FromSeconds(3));

    /// <summary>A resolver that asks nsd directly: signatures come back, but nobody validates them.</summary>
    public MailOps.Dns.MailDnsResolver ViaNsd() => new([Nsd.Endpoint], TimeSpan.FromSeconds(2));

    private static string Zone(string name, int lastOctet) => $"""
        $ORIGIN {name}.
        $TTL 300
        @        SOA ns.{name}. hostmaster.{name}. 1 3600 600 86400 300
        @        NS  ns
        ns       A   127.0.0.1
        @        MX  10 mx
        mx       A   198.51.99.{lastOctet}
        _25._tcp.mx TLSA {Tlsa}
        """;

    /// <inheritdoc />
    public void Dispose()
    {
        Unbound.Dispose();
        Nsd.Dispose();
    }
}
