using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailOps.Engine.Configuration;

namespace MailOps.Engine.Tests.Configuration;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MailServerConfigFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailops-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private MailServerConfigException Refused(string text) =>
        Assert.Throws<MailServerConfigException>(() => MailServerConfigFile.Load(Write("mailops.json", text)));

    [Fact]
    public void Remote_delivery_settings_load_and_each_mistake_is_named_with_its_line()
    {
        var config = MailServerConfigFile.Load(Write("remote.jsonc", """
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "dns": { "nameServers": [ "127.0.0.1:5353" ] },
              "relayHost": "[smtp.example.net]:587",
              "relayHostAuth": { "username": "u", "password": "p" },
              "tlsPolicy": { "*": "may", "bank.example": "encrypt" },
              "remoteSmtpPort": 2526,
              "queue": { "minimalBackoff": 1, "maximalBackoff": 2.5, "maximalLifetime": 60 } }
            """));
        Assert.Equal(["127.0.0.1:5353"], config.Dns.NameServers);
        Assert.Equal(new MailRelayHost("smtp.example.net", 587, MxLookup: false), config.RelayHost);
        Assert.Equal("u", config.RelayHostCredentials!.UserName);
        Assert.Equal(MailTlsPolicy.Encrypt, config.TlsPolicies["BANK.example"]);
        Assert.Equal(2526, config.RemoteSmtpPort);
        Assert.Equal(TimeSpan.FromSeconds(2.5), config.Queue.MaximalBackoff);
        Assert.Equal(TimeSpan.FromDays(5), config.Queue.BounceLifetime);

        var refused = Refused("""
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "dns": { "nameServers": [ "dns.example" ] },
              "relayHost": "[smtp.example.net:587",
              "tlsPolicy": { "bank.example": "encrpyt" },
              "queue": { "minimalBackoff": 10, "maximalBackoff": 5 } }
            """);
        var settings = refused.Errors.Select(e => e.Setting).ToArray();
        Assert.Contains("dns.nameServers[0]", settings);
        Assert.Contains("relayHost", settings);
        Assert.Contains(refused.Errors, e => e.Setting == "tlsPolicy.bank.example" && e.Reason.Contains("did you mean 'encrypt'"));
        Assert.Contains("queue.maximalBackoff", settings);
    }

    [Fact]
    public void The_written_template_loads_back_as_the_embedded_default()
    {
        var path = Path.Combine(_dir, "mailops.json");
        var data = Path.Combine(_dir, "data");
        MailServerConfigFile.WriteTemplate(path, "mx.example.test", data);

        var loaded = MailServerConfigFile.Load(path);
        var expected = MailServerConfig.EmbeddedDefault(data, "mx.example.test");

        Assert.Equal(expected.Hostname, loaded.Hostname);
        Assert.Equal(expected.Domains, loaded.Domains);
        Assert.Equal(expected.Listeners, loaded.Listeners);
        Assert.Equal(expected.Tls, loaded.Tls);
        Assert.Equal(expected.Limits, loaded.Limits);
        Assert.Equal(expected.MyNetworks, loaded.MyNetworks);
        Assert.Equal((expected.UsersFile, expected.AliasesFile, expected.DataPath, expected.LogPath), (loaded.UsersFile, loaded.AliasesFile, loaded.DataPath, loaded.LogPath));
        // Every setting is explained: a comment line directly above each "name": line.
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].TrimStart().StartsWith('"') && !lines[i].Contains("\"kind\""))
                Assert.True(lines[i - 1].TrimStart().StartsWith("//") || lines[i].TrimStart().StartsWith("\"limits\""), $"no comment above line {i + 1}: {lines[i]}");
        Assert.Throws<IOException>(() => MailServerConfigFile.WriteTemplate(path, "mx.example.test", data));
    }

    [Fact]
    public void Every_mistake_in_a_file_is_reported_at_once_with_its_setting_line_and_reason()
    {
        var error = Refused("""
            {
              "hostnme": "mx.example.test",
              "domains": [ "example.test", "exa mple.test", "example.test" ],
              "listeners": [
                { "kind": "Mta", "address": "127.0.0.1:2525" },
                { "kind": "Mta", "address": "127.0.0.1:70000" },
                { "kind": "Submision", "address": "127.0.0.1:2525" },
                { "kind": "Submission", "address": "localhost:2587" },
              ],
              "mynetworks": [ "10.0.0.0/33", "192.168.1.1/24" ],
              "limits": { "recipientLimit": 5, "errorLimit": "twenty" },
              "usersFile": "/no/such/dir/users.passwd",
            }
            """);
        string Find(string setting) => Assert.Single(error.Errors, e => e.Setting == setting).ToString();

        Assert.All(error.Errors, e => Assert.Equal(Path.Combine(_dir, "mailops.json"), e.File));
        Assert.Equal($"{Path.Combine(_dir, "mailops.json")}:2: hostnme: unknown setting 'hostnme'; did you mean 'hostname'?", Find("hostnme"));
        Assert.Contains(":3: domains[1]: ", Find("domains[1]"));
        Assert.Contains("listed twice", Find("domains[2]"));
        Assert.Contains(":6: listeners[1].address: port '70000' is out of range", Find("listeners[1].address"));
        Assert.Contains("did you mean 'Submission'", Find("listeners[2].kind"));
        Assert.Contains(":8: listeners[3].address: 'localhost' is not an IP address", Find("listeners[3].address"));
        Assert.Contains(":10: mynetworks[0]: '10.0.0.0/33' is not a network", Find("mynetworks[0]"));
        Assert.Contains("host bits", Find("mynetworks[1]"));
        Assert.Contains(":11: limits.recipientLimit: 5 is out of range", Find("limits.recipientLimit"));
        Assert.Contains("whole number", Find("limits.errorLimit"));
        Assert.Contains(":12: usersFile: the directory '/no/such/dir' does not exist", Find("usersFile"));
        Assert.Equal(11, error.Errors.Count);
    }

    [Fact]
    public void Two_listeners_on_one_address_or_a_wildcard_beside_a_specific_address_are_refused()
    {
        var error = Refused("""
            { "domains": ["example.test"], "listeners": [
                { "kind": "Mta", "address": "0.0.0.0:2525" },
                { "kind": "Submission", "address": "127.0.0.1:2525" },
                { "kind": "Mta", "address": "[::1]:2525" },
                { "kind": "Mta", "address": "[::1]:2525" } ] }
            """);
        Assert.Contains("overlaps", Assert.Single(error.Errors, e => e.Setting == "listeners[1].address").Reason);
        Assert.Contains("already used", Assert.Single(error.Errors, e => e.Setting == "listeners[3].address").Reason);
        Assert.Equal(2, error.Errors.Count);
    }

    [Fact]
    public void A_file_that_is_not_json_is_refused_with_the_line_of_the_syntax_error()
    {
        var error = Refused("{\n  \"domains\": [\"example.test\"],\n  \"vrfy\": tru\n}\n");
        var only = Assert.Single(error.Errors);
        Assert.Equal(3, only.Line);
        Assert.Contains("not valid JSON", only.Reason);
    }

    [Fact]
    public void The_mail_owner_is_an_account_from_etc_passwd_or_uid_gid_and_an_unknown_account_is_refused()
    {
        var mailLine = File.ReadLines("/etc/passwd").First(l => l.StartsWith("mail:", StringComparison.Ordinal)).Split(':');
        var byName = MailServerConfigFile.Load(Write("owner.jsonc", "{ \"domains\": [\"example.test\"], \"listeners\": [ { \"kind\": \"Mta\", \"address\": \"127.0.0.1:2525\" } ], \"mailOwner\": \"mail\" }"));
        Assert.Equal(uint.Parse(mailLine[2]), byName.MailOwner!.Uid);
        Assert.Equal(uint.Parse(mailLine[3]), byName.MailOwner.Gid);
        var byNumber = MailServerConfigFile.Load(Write("owner2.jsonc", "{ \"domains\": [\"example.test\"], \"listeners\": [ { \"kind\": \"Mta\", \"address\": \"127.0.0.1:2525\" } ], \"mailOwner\": \"5000:5001\" }"));
        Assert.Equal(new MailOwner("5000:5001", 5000, 5001), byNumber.MailOwner);
        var error = Refused("{ \"domains\": [\"example.test\"], \"listeners\": [ { \"kind\": \"Mta\", \"address\": \"127.0.0.1:2525\" } ], \"mailOwner\": \"nosuchaccount\" }");
        Assert.Contains("no account 'nosuchaccount'", Assert.Single(error.Errors, e => e.Setting == "mailOwner").Reason);
    }

    [Fact]
    public void A_self_signed_certificate_names_the_host_and_loopback_and_its_key_is_created_private()
    {
        var cert = Path.Combine(_dir, "tls", "cert.pem");
        var key = Path.Combine(_dir, "tls", "key.pem");
        Assert.True(MailServerCertificate.EnsureSelfSigned(new MailTlsConfig(cert, key, true), "mx.example.test"));
        Assert.False(MailServerCertificate.EnsureSelfSigned(new MailTlsConfig(cert, key, true), "mx.example.test"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(cert));
        using var certificate = X509Certificate2.CreateFromPemFile(cert, key);
        Assert.True(certificate.HasPrivateKey);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["mx.example.test", "localhost"], san.EnumerateDnsNames());
        Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());
        Assert.Empty(MailServerCertificate.Check(cert, key));
    }

    [Fact]
    public void A_key_readable_by_others_a_key_of_another_certificate_and_a_certificate_that_is_not_pem_are_refused()
    {
        MailServerCertificate.CreateSelfSigned(Path.Combine(_dir, "a.pem"), Path.Combine(_dir, "a.key"), "a.example.test");
        MailServerCertificate.CreateSelfSigned(Path.Combine(_dir, "b.pem"), Path.Combine(_dir, "b.key"), "b.example.test");
        File.SetUnixFileMode(Path.Combine(_dir, "b.key"), (UnixFileMode)0b110_100_100);
        Write("junk.pem", "this is not a certificate\n");

        var error = Refused($$"""
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "tls": { "certificatePath": "a.pem", "keyPath": "b.key" } }
            """);
        Assert.Contains(error.Errors, e => e.Setting == "tls.keyPath" && e.Reason.Contains("mode 0644, readable by every user"));
        Assert.Contains(error.Errors, e => e.Setting == "tls.keyPath" && e.Reason.Contains("does not match the certificate"));

        error = Refused("""
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "tls": { "certificatePath": "junk.pem", "keyPath": "a.key" } }
            """);
        Assert.Contains("is not a PEM certificate", Assert.Single(error.Errors).Reason);

        error = Refused("""
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "tls": { "certificatePath": "missing.pem", "keyPath": "a.key" } }
            """);
        Assert.Contains("does not exist", Assert.Single(error.Errors, e => e.Setting == "tls.certificatePath").Reason);
    }

    [Fact]
    public void A_key_readable_by_its_group_is_accepted_only_when_the_group_is_root()
    {
        var cert = Path.Combine(_dir, "c.pem");
        var key = Path.Combine(_dir, "c.key");
        MailServerCertificate.CreateSelfSigned(cert, key, "c.example.test");
        File.SetUnixFileMode(key, (UnixFileMode)0b110_100_000);
        Chown(key, "root:root");
        Assert.Empty(MailServerCertificate.Check(cert, key));
        Chown(key, "root:postfix");
        Assert.Contains("so that group can read it", Assert.Single(MailServerCertificate.Check(cert, key)).Reason);
    }

    [Fact]
    public void Dns_dkim_and_dmarcRejectAction_load_and_each_fault_names_its_setting_and_line()
    {
        var key = MailOps.Dkim.DkimKeyGenerator.Create("example.test", "ed", MailOps.Dkim.DkimKeyAlgorithm.Ed25519, _dir);
        var config = MailServerConfigFile.Load(Write("auth.jsonc", $$"""
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "dns": { "nameServers": ["127.0.0.1:5353", "::1"] },
              "dkim": [ { "domain": "Example.TEST", "selector": "ed", "privateKeyPath": "{{key.PrivateKeyPath}}" } ],
              "dmarcRejectAction": "quarantine" }
            """));
        Assert.Equal(["127.0.0.1:5353", "::1"], config.Dns.NameServers);
        Assert.Equal(new MailDkimKeyConfig("example.test", "ed", key.PrivateKeyPath, "ed25519"), Assert.Single(config.Dkim));
        Assert.Equal(DmarcRejectAction.Quarantine, config.DmarcRejectAction);

        var error = Refused("""
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "dns": { "nameServers": ["ns.example.test"] },
              "dkim": [ { "domain": "example.test", "selector": "bad_selector", "privateKeyPath": "/nonexistent/key" } ],
              "dmarcRejectAction": "bounce" }
            """);
        Assert.Equal(["dkim[0].privateKeyPath", "dkim[0].selector", "dmarcRejectAction", "dns.nameServers[0]"], error.Errors.Select(e => e.Setting).Order());
        Assert.All(error.Errors, e => Assert.NotNull(e.Line));
    }

    [Fact]
    public void Rate_limits_blocklists_and_the_auth_delay_load_and_each_fault_names_its_setting_and_line()
    {
        var config = MailServerConfigFile.Load(Write("policy.jsonc", """
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "limits": { "clientConnectionRateLimit": 30, "clientMessageRateLimit": 20, "clientRecipientRateLimit": 100,
                          "saslUserMessageRateLimit": 50, "rateTimeUnit": 120, "authFailureDelay": 3 },
              "clientEventLimitExceptions": ["192.0.2.0/24"],
              "dns": { "blocklists": ["Zen.Spamhaus.ORG."], "clientNameLookup": false } }
            """));
        Assert.Equal((30, 20, 100, 50), (config.Limits.ClientConnectionRateLimit, config.Limits.ClientMessageRateLimit,
            config.Limits.ClientRecipientRateLimit, config.Limits.SaslUserMessageRateLimit));
        Assert.Equal((TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(3)), (config.Limits.RateTimeUnit, config.Limits.AuthFailureDelay));
        Assert.Equal([IPNetwork.Parse("192.0.2.0/24")], config.ClientEventLimitExceptions);
        Assert.Equal(["zen.spamhaus.org"], config.Dns.Blocklists);
        Assert.False(config.Dns.ClientNameLookup);

        // Postfix's defaults: no limits, exceptions = mynetworks, a 1 s delay, names looked up, no blocklist.
        var defaults = MailServerConfigFile.Load(Write("plain.jsonc", """
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ] }
            """));
        Assert.Equal(0, defaults.Limits.ClientConnectionRateLimit + defaults.Limits.ClientMessageRateLimit + defaults.Limits.ClientRecipientRateLimit);
        Assert.Null(defaults.ClientEventLimitExceptions);
        Assert.Equal(TimeSpan.FromSeconds(60), defaults.Limits.RateTimeUnit);
        Assert.Equal(TimeSpan.FromSeconds(1), defaults.Limits.AuthFailureDelay);
        Assert.Empty(defaults.Dns.Blocklists);
        Assert.True(defaults.Dns.ClientNameLookup);

        var error = Refused("""
            { "domains": ["example.test"], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:2525" } ],
              "limits": { "clientConnectionRateLimit": -1, "rateTimeUnit": 0, "authFailureDelay": 1.5 },
              "clientEventLimitExceptions": ["192.0.2.1/24"],
              "dns": { "blocklists": ["not a zone"], "clientNameLookup": "yes" } }
            """);
        Assert.Equal(["clientEventLimitExceptions[0]", "dns.blocklists[0]", "dns.clientNameLookup", "limits.authFailureDelay",
            "limits.clientConnectionRateLimit", "limits.rateTimeUnit"], error.Errors.Select(e => e.Setting).Order());
        Assert.All(error.Errors, e => Assert.NotNull(e.Line));
    }

    private static void Chown(string path, string owner)
    {
        using var process = System.Diagnostics.Process.Start("chown", [owner, path]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public void A_minimal_file_gets_the_defaults_and_paths_relative_to_the_file()
    {
        var config = MailServerConfigFile.Load(Write("mailops.json", """
            // the smallest useful file
            { "hostname": "MX.Example.Test.", "domains": ["Example.TEST"], "listeners": [ { "kind": "mta", "address": "[::1]:2525" } ],
              "dataPath": "data", }
            """));
        Assert.Equal("mx.example.test", config.Hostname);
        Assert.Equal(["example.test"], config.Domains);
        Assert.Equal(new MailListenerConfig(MailListenerKind.Mta, new IPEndPoint(IPAddress.IPv6Loopback, 2525)), Assert.Single(config.Listeners));
        Assert.Equal(Path.Combine(_dir, "data"), config.DataPath);
        Assert.True(config.Tls.SelfSigned);
        Assert.Equal(10_240_000, config.Limits.MessageSizeLimit);
        Assert.Equal(20, config.Limits.ErrorLimit);
        Assert.Equal(MailServerConfig.DefaultMyNetworks, config.MyNetworks);
    }

    [Fact]
    public void POP3_listeners_and_their_limits_load_and_their_mistakes_are_named()
    {
        var config = MailServerConfigFile.Load(Write("mailops.json", """
            { "domains": ["example.test"], "listeners": [
                { "kind": "Pop3", "address": "127.0.0.1:110" },
                { "kind": "pop3tls", "address": "[::1]:995" } ],
              "limits": { "loginTimeout": 30, "pop3IdleTimeout": 1800, "authFailureDelay": 0, "maxLoginFailures": 3, "maxUserIpConnections": 25 } }
            """));
        Assert.Equal(25, config.Limits.MaxUserIpConnections);
        Assert.Equal(
            [new MailListenerConfig(MailListenerKind.Pop3, new IPEndPoint(IPAddress.Loopback, 110)), new MailListenerConfig(MailListenerKind.Pop3Tls, new IPEndPoint(IPAddress.IPv6Loopback, 995))],
            config.Listeners);
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(30), TimeSpan.Zero, 3),
            (config.Limits.LoginTimeout, config.Limits.Pop3IdleTimeout, config.Limits.AuthFailureDelay, config.Limits.MaxLoginFailures));

        var error = Refused("""
            { "domains": ["example.test"], "listeners": [ { "kind": "Pop", "address": "127.0.0.1:110" } ],
              "limits": { "pop3IdleTimeout": 60, "maxLoginFailures": 0, "loginTimout": 5, "maxUserIpConnections": -1 } }
            """);
        string Find(string setting) => Assert.Single(error.Errors, e => e.Setting == setting).ToString();
        Assert.Contains("did you mean 'Pop3'", Find("listeners[0].kind"));
        // RFC 1939 3: the autologout timer is at least 10 minutes.
        Assert.Contains("60 is out of range; it must be 600 to 86400 seconds", Find("limits.pop3IdleTimeout"));
        Assert.Contains("0 is out of range", Find("limits.maxLoginFailures"));
        Assert.Contains("-1 is out of range; it must be 0 to 100000 sessions", Find("limits.maxUserIpConnections"));
        Assert.Contains("did you mean 'loginTimeout'", Find("limits.loginTimout"));
    }

    [Fact]
    public void Imap_and_ImapTls_listeners_and_the_IMAP_idle_timeout_are_read_and_wrong_values_named()
    {
        var config = MailServerConfigFile.Load(Write("imap.json", """
            { "domains": ["example.test"], "listeners": [
                { "kind": "Imap", "address": "127.0.0.1:143" },
                { "kind": "imaptls", "address": "[::1]:993" } ],
              "limits": { "imapIdleTimeout": 3600 } }
            """));
        Assert.Equal(
            [new MailListenerConfig(MailListenerKind.Imap, new IPEndPoint(IPAddress.Loopback, 143)), new MailListenerConfig(MailListenerKind.ImapTls, new IPEndPoint(IPAddress.IPv6Loopback, 993))],
            config.Listeners);
        Assert.Equal(TimeSpan.FromHours(1), config.Limits.ImapIdleTimeout);

        var error = Refused("""
            { "domains": ["example.test"], "listeners": [ { "kind": "Imaps", "address": "127.0.0.1:993" } ],
              "limits": { "imapIdleTimeout": 600 } }
            """);
        string Find(string setting) => Assert.Single(error.Errors, e => e.Setting == setting).ToString();
        Assert.Contains("did you mean 'Imap", Find("listeners[0].kind"));
        // RFC 3501 5.4: the autologout timer is at least 30 minutes.
        Assert.Contains("600 is out of range; it must be 1800 to 86400 seconds", Find("limits.imapIdleTimeout"));
    }

    [Fact]
    public void The_embedded_default_serves_IMAP_on_2143_and_IMAPS_on_2993_of_loopback_only()
    {
        var config = MailServerConfig.EmbeddedDefault(Path.Combine(_dir, "data"), "mx.example.test");
        Assert.Contains(new MailListenerConfig(MailListenerKind.Imap, new IPEndPoint(IPAddress.Loopback, 2143)), config.Listeners);
        Assert.Contains(new MailListenerConfig(MailListenerKind.ImapTls, new IPEndPoint(IPAddress.Loopback, 2993)), config.Listeners);
    }

    [Fact]
    public void The_embedded_default_serves_POP3_on_2110_and_POP3S_on_2995_of_loopback_only()
    {
        var config = MailServerConfig.EmbeddedDefault(Path.Combine(_dir, "data"), "mx.example.test");
        Assert.Contains(new MailListenerConfig(MailListenerKind.Pop3, new IPEndPoint(IPAddress.Loopback, 2110)), config.Listeners);
        Assert.Contains(new MailListenerConfig(MailListenerKind.Pop3Tls, new IPEndPoint(IPAddress.Loopback, 2995)), config.Listeners);
        Assert.All(config.Listeners, l => Assert.True(IPAddress.IsLoopback(l.EndPoint.Address)));
    }
}
