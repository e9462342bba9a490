using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MailOps.Dns;

/// <summary>
/// Judges MTA-STS (RFC 8461): the TXT record at <c>_mta-sts.&lt;domain&gt;</c>, the policy served over HTTPS by
/// <c>mta-sts.&lt;domain&gt;</c>, and whether every MX host matches the policy's <c>mx</c> patterns.
/// </summary>
public sealed class MtaStsCheck : IMailDnsCheck
{
    private const int PolicyBytesLimit = 64 * 1024;
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.MtaSts;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var f = new MailDnsFindings();
        var domain = context.Domain;
        var name = "_mta-sts." + domain;
        var (lookup, texts) = await context.Resolver.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (lookup.Status == DnsLookupStatus.TempError)
        {
            f.TempError($"TXT lookup of {name} failed: {lookup.Error}", "RFC 8461 3.1");
            return f.ToResult(domain, Check, "", null, "RFC 8461 3.1", null, lookup.NameServer);
        }
        // RFC 8461 3.1: records that do not begin with "v=STSv1;" are discarded; anything but exactly one means no policy.
        var records = texts.Where(t => TagList.Parse(t, TagListRules.PolicyRecord).Tags.FirstOrDefault() is { Name: "v", Value: "STSv1" }).ToArray();
        if (records.Length == 0)
        {
            f.Info($"No MTA-STS record at {name}: MTA-STS is not deployed, senders may deliver without authenticated TLS.", "RFC 8461 3.1");
            return f.ToResult(domain, Check, "", null, "RFC 8461 3.1", null, lookup.NameServer);
        }
        if (records.Length > 1)
        {
            f.Fail($"{records.Length} MTA-STS records at {name}: senders then assume the domain has no policy.", "RFC 8461 3.1");
            return f.ToResult(domain, Check, "", string.Join(" | ", records), "RFC 8461 3.1", null, lookup.NameServer);
        }
        var record = records[0];
        var policyHost = "mta-sts." + domain;
        var detail = new MtaStsDetail { PolicyUrl = $"https://{policyHost}/.well-known/mta-sts.txt" };
        if (!JudgeRecord(record, detail, f))
            return f.ToResult(domain, Check, "", record, "RFC 8461 3.1", detail, lookup.NameServer);

        var (policyText, fetchError) = await FetchPolicyAsync(context, policyHost, detail.PolicyUrl, cancellationToken).ConfigureAwait(false);
        if (policyText is null)
        {
            detail.FetchError = fetchError;
            f.Fail($"The MTA-STS policy could not be fetched from {detail.PolicyUrl}: {fetchError}", "RFC 8461 3.3");
            return f.ToResult(domain, Check, "", record, "RFC 8461 3.3", detail, lookup.NameServer);
        }
        detail.PolicyText = policyText;
        var policy = MtaStsPolicy.Parse(policyText);
        detail.Mode = policy.Mode;
        detail.MaxAge = policy.MaxAge;
        detail.MxPatterns = policy.MxPatterns;
        foreach (var error in policy.Errors) f.Fail($"The policy is invalid: {error}.", "RFC 8461 3.2");
        if (policy.MaxAge is < 86400) f.Warn($"max_age {policy.MaxAge} is under a day: senders forget the policy quickly and a downgrade attacker has more chances.", "RFC 8461 3.2");
        switch (policy.Mode)
        {
            case "enforce": f.Pass("mode: enforce", "RFC 8461 5"); break;
            case "testing": f.Warn("mode: testing: senders report TLS failures but still deliver without authenticated TLS.", "RFC 8461 5"); break;
            case "none": f.Info("mode: none: the policy is withdrawn.", "RFC 8461 5"); break;
        }
        if (policy.Mode is "enforce" or "testing" && policy.MxPatterns.Count > 0)
            await MatchMailHostsAsync(context, policy, detail, f).ConfigureAwait(false);

        var pass = $"MTA-STS enforced (id {detail.Id}), {detail.MxHosts.Count} MX host(s) match the policy";
        return f.ToResult(domain, Check, pass, record, "RFC 8461 3", detail, lookup.NameServer);
    }

    /// <summary>Checks the TXT record grammar (RFC 8461 3.1); false when senders would ignore it.</summary>
    private static bool JudgeRecord(string record, MtaStsDetail detail, MailDnsFindings f)
    {
        var list = TagList.Parse(record, TagListRules.PolicyRecord);
        var ok = true;
        if (list.Error is not null) { f.Fail($"The MTA-STS record is not a field list: {list.Error}", "RFC 8461 3.1"); ok = false; }
        var id = list["id"];
        detail.Id = id;
        // RFC 8461 3.1: sts-id = "id" *WSP "=" *WSP 1*32(ALPHA / DIGIT)
        if (id is null) { f.Fail("The MTA-STS record has no id field.", "RFC 8461 3.1"); ok = false; }
        else if (id.Length is 0 or > 32 || !id.All(char.IsAsciiLetterOrDigit))
        { f.Fail($"The MTA-STS id '{id}' is not 1 to 32 letters and digits.", "RFC 8461 3.1"); ok = false; }
        return ok;
    }

    private static async Task MatchMailHostsAsync(MailDnsCheckContext context, MtaStsPolicy policy, MtaStsDetail detail, MailDnsFindings f)
    {
        var set = await context.GetMailHostsAsync().ConfigureAwait(false);
        if (set.MxLookup.Status == DnsLookupStatus.TempError)
        {
            f.TempError($"MX lookup failed, the MX hosts cannot be compared with the policy: {set.MxLookup.Error}", "RFC 8461 4.1");
            return;
        }
        foreach (var host in set.Hosts)
        {
            var pattern = policy.MxPatterns.FirstOrDefault(p => MtaStsPolicy.Matches(p, host.Host));
            detail.MxHosts.Add(new MtaStsMxMatch { Host = host.Host, Pattern = pattern });
            if (pattern is not null) continue;
            // RFC 8461 4.1: in enforce mode a sender delivers only to MX hosts that match the policy.
            if (policy.Mode == "enforce") f.Fail($"MX host {host.Host} matches no mx pattern of the policy: senders that enforce MTA-STS will not deliver to it.", "RFC 8461 4.1");
            else f.Warn($"MX host {host.Host} matches no mx pattern of the policy: delivery to it would fail once the mode is enforce.", "RFC 8461 4.1");
        }
    }

    private static async Task<(string? Text, string? Error)> FetchPolicyAsync(MailDnsCheckContext context, string policyHost, string url, CancellationToken cancellationToken)
    {
        var port = context.Options.MtaStsPort;
        var roots = context.Options.MtaStsTrustedRoots;
        string? certificateProblem = null;
        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (errors == SslPolicyErrors.None) return true;
                certificateProblem = DescribeCertificateProblem(policyHost, certificate, chain, errors);
                return false;
            },
        };
        if (roots is not null)
        {
            // A custom trust store replaces the system roots; the host name is still verified by SslStream.
            ssl.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            ssl.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }
        using var handler = new SocketsHttpHandler
        {
            // RFC 8461 3.3: HTTP 3xx redirects MUST NOT be followed.
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = FetchTimeout,
            SslOptions = ssl,
            ConnectCallback = (connect, ct) => ConnectAsync(context.Resolver, connect.DnsEndPoint.Host, port, ct),
        };
        using var client = new HttpClient(handler) { Timeout = FetchTimeout };
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
                return (null, $"HTTP {status} redirect to {response.Headers.Location}; redirects must not be followed");
            if (status != 200) return (null, $"HTTP {status} {response.ReasonPhrase}");
            // RFC 8461 3.2: the policy is served as media type text/plain.
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, "text/plain", StringComparison.OrdinalIgnoreCase))
                return (null, $"content type is '{mediaType ?? "(none)"}', not text/plain");
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[PolicyBytesLimit + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0) read += n;
            if (read > PolicyBytesLimit) return (null, $"the policy is larger than {PolicyBytesLimit} bytes");
            return (System.Text.Encoding.UTF8.GetString(buffer, 0, read), null);
        }
        catch (HttpRequestException e)
        {
            return (null, certificateProblem ?? Describe(e));
        }
        catch (AuthenticationException e)
        {
            return (null, certificateProblem ?? e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {FetchTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Connects through the mail DNS resolver, so <c>-NameServer</c> decides where the policy host is.</summary>
    private static async ValueTask<Stream> ConnectAsync(MailDnsResolver resolver, string host, int port, CancellationToken cancellationToken)
    {
        var (status, addresses, _, error) = await resolver.QueryAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (status == DnsLookupStatus.TempError) throw new HttpRequestException($"address lookup of {host} failed: {error}");
        if (addresses.Count == 0) throw new HttpRequestException($"{host} has no A or AAAA record");
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }
        throw new HttpRequestException($"cannot connect to {host} port {port}: {last?.Message}", last);
    }

    private static string DescribeCertificateProblem(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return "the server sent no certificate";
        var problems = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            problems.Add($"the certificate ({certificate.Subject}) is not valid for {host}");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToArray() ?? [];
            problems.Add("the certificate is not trusted" + (status.Length > 0 ? ": " + string.Join("; ", status) : ""));
        }
        return string.Join(", and ", problems);
    }

    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            if (!messages.Contains(x.Message)) messages.Add(x.Message);
        return string.Join(": ", messages);
    }
}

/// <summary>Detail of the MTA-STS check.</summary>
public sealed class MtaStsDetail
{
    /// <summary>The <c>id</c> of the TXT record (changes whenever the policy changes).</summary>
    public string? Id { get; set; }
    /// <summary>Where the policy is fetched from.</summary>
    public string PolicyUrl { get; set; } = "";
    /// <summary>Why the policy could not be fetched, or null.</summary>
    public string? FetchError { get; set; }
    /// <summary>The policy file as served.</summary>
    public string? PolicyText { get; set; }
    /// <summary>The policy mode: enforce, testing or none.</summary>
    public string? Mode { get; set; }
    /// <summary>The policy's max_age in seconds.</summary>
    public long? MaxAge { get; set; }
    /// <summary>The policy's mx patterns.</summary>
    public IReadOnlyList<string> MxPatterns { get; set; } = [];
    /// <summary>Each MX host of the domain and the pattern it matched.</summary>
    public List<MtaStsMxMatch> MxHosts { get; } = [];
}

/// <summary>One MX host compared with the policy's mx patterns (RFC 8461 4.1).</summary>
public sealed class MtaStsMxMatch
{
    /// <summary>The MX host.</summary>
    public required string Host { get; init; }
    /// <summary>The first pattern it matched, or null.</summary>
    public string? Pattern { get; init; }
    /// <summary>The host matches the policy.</summary>
    public bool Matched => Pattern is not null;

    /// <inheritdoc />
    public override string ToString() => $"{Host}: {(Matched ? "matches " + Pattern : "no match")}";
}
