namespace MailOps.Tests.TestSupport;

/// <summary>One nsd serving every fixture zone, shared by all tests of the collection.</summary>
public sealed class FixtureDns : IDisposable
{
    /// <summary>The server.</summary>
    public NsdServer Server { get; } = NsdServer.Start(NsdServer.FixtureZones());

    /// <summary>A resolver that asks the fixture server only.</summary>
    public MailOps.Dns.MailDnsResolver Resolver() => new([Server.Endpoint], TimeSpan.FromSeconds(2));

    /// <inheritdoc />
    public void Dispose() => Server.Dispose();
}

/// <summary>The collection of tests that share the fixture DNS server.</summary>
[CollectionDefinition(Name)]
public sealed class FixtureDnsCollection : ICollectionFixture<FixtureDns>
{
    /// <summary>The collection name.</summary>
    public const string Name = "fixture dns";
}
