using MailOps.Dkim;

namespace MailOps.Dns;

/// <summary>Judges the DKIM key record of each selector given: syntax, key type and size, flags, hash algorithms, and the private key's match.</summary>
public sealed class DkimCheck : IMailDnsCheck
{
    /// <inheritdoc />
    public MailDnsCheck Check => MailDnsCheck.Dkim;

    /// <inheritdoc />
    public async Task<MailDnsCheckResult> RunAsync(MailDnsCheckContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var f = new MailDnsFindings();

        DkimPublicKey? privateKey = null;
        if (options.DkimPrivateKeyPath is { } keyPath)
        {
            try { privateKey = DkimPublicKey.FromPrivateKeyFile(keyPath); }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                f.Fail($"The private key cannot be read: {e.Message}", "RFC 6376 3.6.1");
            }
        }

        var selectors = new List<string>();
        foreach (var given in options.DkimSelectors)
        {
            if (DkimKeyGenerator.TryNormalizeSelector(given, out var selector, out var error)) selectors.Add(selector);
            else f.Fail(error, "RFC 6376 3.1");
        }
        if (selectors.Count == 0 && options.DkimRecord is null)
        {
            if (options.DkimSelectors.Count == 0)
                // RFC 6376 3.6.2.1: the key's name comes from the signature's s= tag; there is no list of a domain's selectors to query.
                f.Info("No selector given; DKIM keys can't be discovered by name. Name the selectors your signer uses (-DkimSelector).", "RFC 6376 3.6.2.1");
            return f.ToResult(context.Domain, Check, "No selector checked.", null, "RFC 6376 3.6.2.1", new DkimDetail(), null);
        }

        // Look all selectors up at once; judge them in the order given.
        var lookups = await Task.WhenAll(selectors.Select(async s =>
        {
            var name = $"{s}._domainkey.{context.Domain}";
            if (options.DkimRecord is not null) return (Selector: s, Name: (string?)name, Lookup: (DnsLookup?)null, Texts: (IReadOnlyList<string>)[options.DkimRecord]);
            var (lookup, texts) = await context.Resolver.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
            return (Selector: s, Name: (string?)name, Lookup: (DnsLookup?)lookup, Texts: texts);
        })).ConfigureAwait(false);
        if (lookups.Length == 0) lookups = [("", null, null, [options.DkimRecord!])];

        var details = new List<DkimSelectorDetail>();
        foreach (var (selector, name, lookup, texts) in lookups)
        {
            var own = new MailDnsFindings();
            var detail = JudgeSelector(selector, name, lookup, texts, privateKey, options.DkimPrivateKeyPath, own);
            foreach (var finding in own.Items) f.Add(finding.Status, finding.Message, finding.Reference);
            details.Add(detail);
        }

        var records = details.Where(d => d.Record is not null).ToArray();
        var record = records.Length switch
        {
            0 => null,
            1 => records[0].Record,
            _ => string.Join("\n", records.Select(d => $"{d.DnsName}: {d.Record}")),
        };
        var pass = $"DKIM key(s): {string.Join(", ", details.Select(d => $"{d.Selector} ({(d.KeyType == "ed25519" ? "Ed25519" : $"RSA {d.KeyBits}")})"))}";
        var server = lookups.Select(l => l.Lookup?.NameServer).FirstOrDefault(s => !string.IsNullOrEmpty(s));
        return f.ToResult(context.Domain, Check, pass, record, "RFC 6376 3.6.1", new DkimDetail { Selectors = details }, server);
    }

    private static DkimSelectorDetail JudgeSelector(string selector, string? name, DnsLookup? lookup, IReadOnlyList<string> texts,
        DkimPublicKey? privateKey, string? privateKeyPath, MailDnsFindings f)
    {
        var label = name ?? "The given record";
        if (lookup is { Status: DnsLookupStatus.TempError })
        {
            f.TempError($"{label}: lookup failed: {lookup.Error}", "RFC 6376 6.1.2");
            return Detail(selector, name, null, f);
        }
        if (texts.Count == 0)
        {
            // RFC 6376 6.1.2: no key record means PERMFAIL (no key for signature).
            f.Fail($"{label}: no DKIM key record; mail signed with selector '{selector}' fails verification.", "RFC 6376 6.1.2");
            return Detail(selector, name, null, f);
        }
        if (texts.Count > 1)
            f.Warn($"{label}: {texts.Count} TXT records; a verifier may use any one of them.", "RFC 6376 3.6.2.2");

        var text = texts[0];
        if (!DkimKeyRecord.TryParse(text, out var record, out var error))
        {
            f.Fail($"{label}: not a valid tag list: {error}.", "RFC 6376 3.2");
            return Detail(selector, name, text, f);
        }
        var key = JudgeRecord(label, record!, f);
        bool? matches = null;
        if (key is not null && privateKey is not null)
        {
            matches = key.SameKeyAs(privateKey);
            if (matches == true) f.Pass($"{label}: the published key matches the private key {privateKeyPath}.", "RFC 6376 3.6.1");
            else f.Fail($"{label}: the published key does not match the private key {privateKeyPath}; signatures made with it fail.", "RFC 6376 3.6.1");
        }
        return new DkimSelectorDetail
        {
            Selector = selector,
            DnsName = name,
            Record = text,
            KeyType = record!.KeyType,
            KeyBits = key?.Bits,
            Testing = record.Testing,
            Revoked = record.Revoked,
            HashAlgorithms = record.HashAlgorithms,
            MatchesPrivateKey = matches,
            Status = f.Worst,
        };
    }

    /// <summary>Judges a parsed key record and returns its key when one could be read.</summary>
    private static DkimPublicKey? JudgeRecord(string label, DkimKeyRecord record, MailDnsFindings f)
    {
        // RFC 6376 3.6.1: v= is optional, but when present it must be the first tag and read DKIM1.
        if (!record.VersionFirst) f.Fail($"{label}: v= must be the first tag.", "RFC 6376 3.6.1");
        if (record.Version is not null && record.Version != "DKIM1") f.Fail($"{label}: v={record.Version}; only v=DKIM1 is defined.", "RFC 6376 3.6.1");
        if (!record.ServiceTypes.Contains("*") && !record.ServiceTypes.Contains("email"))
            f.Fail($"{label}: s={string.Join(":", record.ServiceTypes)} does not allow the key for email.", "RFC 6376 3.6.1");
        if (record.HashAlgorithms.Count > 0 && !record.HashAlgorithms.Contains("sha256"))
        {
            // RFC 8301 3.1: signers must not use rsa-sha1 and verifiers must not accept it.
            if (record.HashAlgorithms.Contains("sha1")) f.Fail($"{label}: h={string.Join(":", record.HashAlgorithms)} allows only SHA-1, which verifiers must reject.", "RFC 8301 3.1");
            else f.Fail($"{label}: h={string.Join(":", record.HashAlgorithms)} names no hash algorithm verifiers know; sha256 is required.", "RFC 6376 3.6.1");
        }
        if (record.Testing)
            f.Warn($"{label}: t=y, testing mode is on: receivers treat failed signatures as unsigned mail.", "RFC 6376 3.6.1");
        if (record.Flags.Contains("s"))
            f.Info($"{label}: t=s, the i= of signatures must be exactly the d= domain, no subdomain.", "RFC 6376 3.6.1");

        if (record.PublicKey is null)
        {
            f.Fail($"{label}: the record has no p= tag.", "RFC 6376 3.6.1");
            return null;
        }
        if (record.Revoked)
        {
            f.Warn($"{label}: the key is revoked (empty p=); every signature with this selector fails.", "RFC 6376 3.6.1");
            return null;
        }
        if (record.KeyType is not ("rsa" or "ed25519"))
        {
            f.Fail($"{label}: unknown key type k={record.KeyType}; verifiers know rsa and ed25519.", "RFC 6376 3.6.1");
            return null;
        }

        DkimPublicKey key;
        try { key = DkimPublicKey.FromRecord(record.KeyType, record.PublicKey); }
        catch (FormatException e)
        {
            f.Fail($"{label}: the key does not parse: {e.Message}", record.KeyType == "ed25519" ? "RFC 8463 4.2" : "RFC 6376 3.6.1");
            return null;
        }

        if (key.KeyType == "ed25519")
        {
            f.Pass($"{label}: Ed25519 key.", "RFC 8463 4.2");
            return key;
        }
        if (key.IsPkcs1)
            f.Warn($"{label}: p= holds a bare PKCS#1 RSAPublicKey, not the SubjectPublicKeyInfo the RFC asks for; some verifiers reject it.", "RFC 6376 3.6.1");
        // RFC 8301 3.2: keys under 1024 bits must not be accepted; signers should use at least 2048; verifiers need handle at most 4096.
        if (key.Bits < 1024) f.Fail($"{label}: {key.Bits}-bit RSA key; verifiers reject keys under 1024 bits.", "RFC 8301 3.2");
        else if (key.Bits < 2048) f.Warn($"{label}: {key.Bits}-bit RSA key; use at least 2048 bits.", "RFC 8301 3.2");
        else if (key.Bits > 4096) f.Warn($"{label}: {key.Bits}-bit RSA key; verifiers need not handle keys above 4096 bits.", "RFC 8301 3.2");
        else f.Pass($"{label}: {key.Bits}-bit RSA key.", "RFC 8301 3.2");
        return key;
    }

    private static DkimSelectorDetail Detail(string selector, string? name, string? record, MailDnsFindings f) =>
        new() { Selector = selector, DnsName = name, Record = record, Status = f.Worst };
}

/// <summary>Detail of the DKIM check.</summary>
public sealed class DkimDetail
{
    /// <summary>One entry per selector, in the order given.</summary>
    public IReadOnlyList<DkimSelectorDetail> Selectors { get; init; } = [];
}
