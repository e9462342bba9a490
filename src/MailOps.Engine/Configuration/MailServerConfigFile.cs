using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MailOps.Dns;

namespace MailOps.Engine.Configuration;

/// <summary>
/// Reads and writes the server's configuration file: JSON with comments and trailing commas allowed, so that the
/// file <see cref="WriteTemplate"/> writes can explain every setting. Loading checks everything it can before the
/// server starts (like <c>postfix check</c>) and reports every problem at once, each with its file, setting and line.
/// </summary>
public static class MailServerConfigFile
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static readonly string[] RootSettings =
        ["hostname", "domains", "listeners", "tls", "mynetworks", "limits", "allowPlaintextAuthOnLoopback", "vrfy", "usersFile", "aliasesFile", "catchAll", "mailOwner", "dataPath", "logPath",
         "dns", "dkim", "dmarcRejectAction", "relayHost", "relayHostAuth", "tlsPolicy", "remoteSmtpPort", "queue", "clientEventLimitExceptions"];
    private static readonly string[] DnsSettings = ["nameServers", "blocklists", "clientNameLookup"];
    private static readonly string[] DkimSettings = ["domain", "selector", "privateKeyPath"];
    private static readonly string[] RelayHostAuthSettings = ["username", "password"];
    private static readonly string[] QueueSettings = ["minimalBackoff", "maximalBackoff", "maximalLifetime", "bounceLifetime"];
    private static readonly string[] ListenerSettings = ["kind", "address"];
    private static readonly string[] TlsSettings = ["certificatePath", "keyPath"];
    private static readonly string[] LimitSettings =
        ["messageSizeLimit", "recipientLimit", "maxConnections", "maxConnectionsPerClient", "maxUserIpConnections", "commandTimeout", "dataTimeout", "errorLimit", "deliveryConcurrency", "destinationConcurrency",
         "clientConnectionRateLimit", "clientMessageRateLimit", "clientRecipientRateLimit", "saslUserMessageRateLimit", "rateTimeUnit", "authFailureDelay",
         "loginTimeout", "pop3IdleTimeout", "imapIdleTimeout", "maxLoginFailures"];

    /// <summary>Reads and checks <paramref name="path"/>; relative paths inside it are taken relative to its directory.</summary>
    /// <exception cref="MailServerConfigException">Anything is wrong; <see cref="MailServerConfigException.Errors"/> lists it all.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static MailServerConfig Load(string path)
    {
        var file = Path.GetFullPath(path);
        var bytes = File.ReadAllBytes(file);
        JsonLineMap lines;
        try { lines = JsonLineMap.Read(bytes, ReaderOptions); }
        catch (JsonException e)
        {
            throw new MailServerConfigException(file, [new MailServerConfigError(file, e.Path ?? "", (int?)e.LineNumber + 1, $"not valid JSON: {FirstSentence(e.Message)}")]);
        }
        using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var reader = new Reader(file, lines);
        var config = reader.Read(document.RootElement);
        if (reader.Errors.Count > 0 || config is null)
            throw new MailServerConfigException(file, reader.Errors.OrderBy(e => e.Line ?? int.MaxValue).ToList());
        return config;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    /// <summary>
    /// Writes a starting configuration to <paramref name="path"/>, every setting with a one-line comment, holding the values
    /// of <see cref="MailServerConfig.EmbeddedDefault"/> for <paramref name="dataPath"/> and <paramref name="hostname"/>.
    /// It loads back without error.
    /// </summary>
    /// <exception cref="IOException">The file already exists (it is never overwritten).</exception>
    public static void WriteTemplate(string path, string hostname, string dataPath)
    {
        var d = MailServerConfig.EmbeddedDefault(dataPath, hostname);
        var l = d.Limits;
        static string J(string? s) => JsonSerializer.Serialize(s);
        var text = $$"""
            // MailOps mail server configuration (JSON; // comments and trailing commas are allowed).
            // Check it with Test-MailServerConfig; names follow Postfix's postconf(5) where Postfix has the setting.
            {
              // The name in the SMTP greeting and Received: headers (Postfix's myhostname).
              "hostname": {{J(d.Hostname)}},
              // Domains whose mail is delivered here; the first is the primary domain (Postfix's mydestination).
              "domains": [ {{J(d.PrimaryDomain)}} ],
              // Sockets to listen on: kind is Mta (port 25), Submission (587, STARTTLS + AUTH), SubmissionTls (465, implicit TLS),
              // Pop3 (110, STLS then USER/PASS or AUTH), Pop3Tls (995, implicit TLS), Imap (143, STARTTLS then LOGIN or AUTHENTICATE)
              // or ImapTls (993, implicit TLS).
              "listeners": [
                { "kind": "Mta", "address": "127.0.0.1:2525" },
                { "kind": "Submission", "address": "127.0.0.1:2587" },
                { "kind": "SubmissionTls", "address": "127.0.0.1:2465" },
                { "kind": "Pop3", "address": "127.0.0.1:2110" },
                { "kind": "Pop3Tls", "address": "127.0.0.1:2995" },
                { "kind": "Imap", "address": "127.0.0.1:2143" },
                { "kind": "ImapTls", "address": "127.0.0.1:2993" },
              ],
              // PEM certificate and key; null makes a self-signed pair under dataPath/tls on first run. The key must be mode 0600.
              "tls": { "certificatePath": null, "keyPath": null },
              // Clients allowed to relay without AUTH, as CIDR (Postfix's mynetworks).
              "mynetworks": [ "127.0.0.0/8", "::1/128" ],
              "limits": {
                // Largest message in bytes (Postfix's message_size_limit).
                "messageSizeLimit": {{l.MessageSizeLimit}},
                // Most recipients per message (Postfix's smtpd_recipient_limit).
                "recipientLimit": {{l.RecipientLimit}},
                // Most simultaneous SMTP sessions.
                "maxConnections": {{l.MaxConnections}},
                // Most simultaneous sessions from one client address (Postfix's smtpd_client_connection_count_limit).
                "maxConnectionsPerClient": {{l.MaxConnectionsPerClient}},
                // Logged-in IMAP sessions of one user from one address (POP3 counted apart); 0 for no limit. The next login gets
                // NO [LIMIT] / -ERR [IN-USE] (Dovecot's mail_max_userip_connections).
                "maxUserIpConnections": {{l.MaxUserIpConnections}},
                // Seconds to wait for a command (Postfix's smtpd_timeout).
                "commandTimeout": {{(int)l.CommandTimeout.TotalSeconds}},
                // Seconds to wait for each block of message data.
                "dataTimeout": {{(int)l.DataTimeout.TotalSeconds}},
                // Errors after which a session is closed (Postfix's smtpd_hard_error_limit).
                "errorLimit": {{l.ErrorLimit}},
                // Messages delivered to mailboxes at once (Postfix's default_process_limit for its delivery agents).
                "deliveryConcurrency": {{l.DeliveryConcurrency}},
                // Connections at once to one remote destination (Postfix's default_destination_concurrency_limit).
                "destinationConcurrency": {{l.DestinationConcurrency}},
                // Rate limits count per client address and service within rateTimeUnit; 0 is none; the log gets a warning
                // (Postfix's anvil). Connections per client (smtpd_client_connection_rate_limit); the one over it gets 421 4.7.0.
                "clientConnectionRateLimit": {{l.ClientConnectionRateLimit}},
                // MAIL commands per client (smtpd_client_message_rate_limit); the one over it gets 450 4.7.1.
                "clientMessageRateLimit": {{l.ClientMessageRateLimit}},
                // RCPT commands per client (smtpd_client_recipient_rate_limit); the one over it gets 450 4.7.1.
                "clientRecipientRateLimit": {{l.ClientRecipientRateLimit}},
                // Messages (MAIL commands) one authenticated user may send within rateTimeUnit, from anywhere; 0 for none.
                "saslUserMessageRateLimit": {{l.SaslUserMessageRateLimit}},
                // Seconds the rate limits count over (Postfix's anvil_rate_time_unit).
                "rateTimeUnit": {{(int)l.RateTimeUnit.TotalSeconds}},
                // Seconds a failed login (SMTP AUTH, POP3, IMAP) waits for its answer, against password guessing (Postfix's
                // smtpd_error_sleep_time); POP3 and IMAP multiply it by the failures from that address (Dovecot's auth_failure_delay).
                "authFailureDelay": {{(int)l.AuthFailureDelay.TotalSeconds}},
                // Seconds a POP3 or IMAP client may take to log in.
                "loginTimeout": {{(int)l.LoginTimeout.TotalSeconds}},
                // Seconds a logged-in POP3 client may stay silent (RFC 1939 asks for at least 600).
                "pop3IdleTimeout": {{(int)l.Pop3IdleTimeout.TotalSeconds}},
                // Seconds a logged-in IMAP client may stay silent, in IDLE too (RFC 3501 asks for at least 1800).
                "imapIdleTimeout": {{(int)l.ImapIdleTimeout.TotalSeconds}},
                // Failed logins from one address within 15 minutes after which its logins are refused.
                "maxLoginFailures": {{l.MaxLoginFailures}},
              },
              // Clients exempt from the rate limits, as CIDR; null exempts mynetworks (Postfix's smtpd_client_event_limit_exceptions).
              "clientEventLimitExceptions": null,
              // DNS servers ("address[:port]") for remote delivery's MX lookups and the SPF/DKIM/DMARC checks of received mail;
              // empty uses /etc/resolv.conf. blocklists: DNSBL zones (e.g. "zen.spamhaus.org") whose listed clients get 554 5.7.1
              // at RCPT on the Mta listener, unless authenticated or in mynetworks (Postfix's reject_rbl_client).
              // clientNameLookup: name clients by forward-confirmed reverse DNS in the log and Received: (else "unknown");
              // with no nameServers, /etc/hosts answers first (127.0.0.1 is "localhost"), as for Postfix.
              "dns": { "nameServers": [], "blocklists": [], "clientNameLookup": true },
              // Send all remote mail through this host (Postfix's relayhost): "[host]:port" without MX lookup, "host" via its MX.
              "relayHost": null,
              // Login at the relay host: { "username": "...", "password": "..." }; keep this file private when set.
              "relayHostAuth": null,
              // TLS per destination domain: "may" (STARTTLS when offered, any certificate) or "encrypt" (no TLS: defer); "*" is the default.
              "tlsPolicy": { "*": "may" },
              // Retries of deferred mail, in seconds (Postfix's minimal_backoff_time, maximal_backoff_time,
              // maximal_queue_lifetime and bounce_queue_lifetime); after the lifetime the mail is returned to its sender.
              "queue": { "minimalBackoff": 300, "maximalBackoff": 4000, "maximalLifetime": 432000, "bounceLifetime": 432000 },
              // Allow SMTP AUTH and POP3 logins without TLS from 127.0.0.1/::1 (for local scripts); TLS is required otherwise.
              "allowPlaintextAuthOnLoopback": false,
              // Answer VRFY; off so that addresses cannot be harvested (Postfix's disable_vrfy_command = yes).
              "vrfy": false,
              // Users and passwords, a Dovecot passwd-file.
              "usersFile": {{J(d.UsersFile)}},
              // Aliases, a Postfix virtual(5) table: "address target[, target...]" per line.
              "aliasesFile": {{J(d.AliasesFile)}},
              // Mailbox for mail to unknown users in local domains; null rejects them with 550 5.1.1.
              "catchAll": null,
              // Account that owns the Maildirs ("mail" or "uid:gid", Dovecot's mail_uid/mail_gid); null keeps the server's own.
              // Set it when the server runs as root and Dovecot serves the same Maildirs: Dovecot will not read mail as root.
              "mailOwner": null,
              // Queue, mailboxes and logs live here.
              "dataPath": {{J(d.DataPath)}},
              // The mail log, in Postfix's format (pflogsumm reads it with --syslog-name=mailops).
              "logPath": {{J(d.LogPath)}},
              // DKIM keys (New-DkimKey makes them): mail from authenticated users and mynetworks whose From: domain has keys is
              // signed with each, e.g. { "domain": "example.com", "selector": "s202611", "privateKeyPath": "/etc/mailops/dkim/example.com.s202611.key" }.
              "dkim": [],
              // Received mail failing DMARC under p=reject: "reject" refuses it with 550 5.7.1, "quarantine" puts it in the hold queue.
              "dmarcRejectAction": "reject",
            }

            """;
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write(text);
    }

    /// <summary>Walks the parsed document, collecting every error instead of stopping at the first.</summary>
    private sealed class Reader(string file, JsonLineMap lines)
    {
        private readonly string _directory = Path.GetDirectoryName(file)!;

        public List<MailServerConfigError> Errors { get; } = [];

        private void Error(string setting, string reason) => Errors.Add(new MailServerConfigError(file, setting, lines.LineOf(setting), reason));

        public MailServerConfig? Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) { Error("", "the file must hold one JSON object { ... }."); return null; }
            Known(root, "", RootSettings);

            var dataPath = PathSetting(root, "dataPath", mustHaveDirectory: false) ?? MailServerConfig.DefaultDataPath();
            if (File.Exists(dataPath)) Error("dataPath", $"'{dataPath}' is a file; dataPath must be a directory (it is created if missing).");

            string? hostname = null;
            if (String(root, "hostname") is { } h)
            {
                if (MailDomainName.TryNormalize(h, out var normal, out var why)) hostname = normal;
                else Error("hostname", why);
            }

            var domains = new List<string>();
            if (!root.TryGetProperty("domains", out var domainList)) Error("domains", "missing: at least one local domain is needed (the first is the primary).");
            else if (Kind(domainList, "domains", JsonValueKind.Array))
            {
                var i = 0;
                foreach (var item in domainList.EnumerateArray())
                {
                    var at = $"domains[{i++}]";
                    if (!Kind(item, at, JsonValueKind.String)) continue;
                    if (!MailDomainName.TryNormalize(item.GetString(), out var domain, out var why)) Error(at, why);
                    else if (domains.Contains(domain)) Error(at, $"'{domain}' is listed twice.");
                    else domains.Add(domain);
                }
                if (i == 0) Error("domains", "empty: at least one local domain is needed.");
            }

            var listeners = ReadListeners(root);
            var tls = ReadTls(root, dataPath);
            var networks = ReadNetworks(root, "mynetworks");
            var limitExceptions = ReadNetworks(root, "clientEventLimitExceptions");
            var limits = ReadLimits(root);

            var catchAll = String(root, "catchAll");
            if (catchAll is not null)
            {
                var at = catchAll.LastIndexOf('@');
                if (at <= 0 || !MailDomainName.TryNormalize(catchAll[(at + 1)..], out var domain, out _))
                    Error("catchAll", $"'{catchAll}' is not a mail address (local-part@domain).");
                else if (domains.Count > 0 && !domains.Contains(domain))
                    Error("catchAll", $"'{catchAll}' is not in a local domain ({string.Join(", ", domains)}); the catch-all must be a local mailbox.");
            }

            MailOwner? mailOwner = null;
            var ownerText = String(root, "mailOwner");
            if (ownerText is not null && !MailOwner.TryResolve(ownerText, out mailOwner, out var ownerError))
                Error("mailOwner", ownerError);

            var usersFile = PathSetting(root, "usersFile", mustHaveDirectory: true, dataPath) ?? Path.Combine(dataPath, "users.passwd");
            var aliasesFile = PathSetting(root, "aliasesFile", mustHaveDirectory: true, dataPath) ?? Path.Combine(dataPath, "virtual");
            var logPath = PathSetting(root, "logPath", mustHaveDirectory: false) ?? Path.Combine(dataPath, "logs", "mail.log");
            if (Directory.Exists(logPath)) Error("logPath", $"'{logPath}' is a directory; logPath names the log file.");

            var dns = ReadDns(root);
            var dkim = ReadDkim(root);
            var rejectAction = DmarcRejectAction.Reject;
            if (String(root, "dmarcRejectAction") is { } actionText)
            {
                if (actionText is "reject" or "quarantine") rejectAction = actionText == "reject" ? DmarcRejectAction.Reject : DmarcRejectAction.Quarantine;
                else Error("dmarcRejectAction", $"'{actionText}' is not reject or quarantine.");
            }
            var relayHost = ReadRelayHost(root);
            var relayHostCredentials = ReadRelayHostAuth(root, relayHost);
            var tlsPolicies = ReadTlsPolicies(root);
            var remoteSmtpPort = ReadRemoteSmtpPort(root);
            var queue = ReadQueue(root);

            if (Errors.Count > 0) return null;
            return new MailServerConfig
            {
                Dns = dns,
                Dkim = dkim,
                DmarcRejectAction = rejectAction,
                RelayHost = relayHost,
                RelayHostCredentials = relayHostCredentials,
                TlsPolicies = tlsPolicies,
                RemoteSmtpPort = remoteSmtpPort,
                Queue = queue,
                Hostname = hostname ?? MailServerConfig.DefaultHostname(),
                Domains = domains,
                Listeners = listeners,
                Tls = tls!,
                MyNetworks = networks ?? MailServerConfig.DefaultMyNetworks,
                ClientEventLimitExceptions = limitExceptions,
                Limits = limits,
                AllowPlaintextAuthOnLoopback = Bool(root, "allowPlaintextAuthOnLoopback") ?? false,
                Vrfy = Bool(root, "vrfy") ?? false,
                UsersFile = usersFile,
                AliasesFile = aliasesFile,
                CatchAll = catchAll,
                MailOwner = mailOwner,
                DataPath = dataPath,
                LogPath = logPath,
            };
        }

        private List<MailListenerConfig> ReadListeners(JsonElement root)
        {
            var listeners = new List<MailListenerConfig>();
            if (!root.TryGetProperty("listeners", out var list)) { Error("listeners", "missing: at least one listener is needed, e.g. { \"kind\": \"Mta\", \"address\": \"127.0.0.1:2525\" }."); return listeners; }
            if (!Kind(list, "listeners", JsonValueKind.Array)) return listeners;
            var seen = new Dictionary<IPEndPoint, string>();
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var at = $"listeners[{i++}]";
                if (!Kind(item, at, JsonValueKind.Object)) continue;
                Known(item, at, ListenerSettings);
                MailListenerKind? kind = null;
                var kindText = String(item, "kind", at);
                if (kindText is null) Error($"{at}.kind", $"missing: one of {string.Join(", ", Enum.GetNames<MailListenerKind>())}.");
                else if (Enum.TryParse<MailListenerKind>(kindText, ignoreCase: true, out var k) && Enum.IsDefined(k) && !char.IsDigit(kindText[0])) kind = k;
                else Error($"{at}.kind", $"'{kindText}' is not a listener kind; use one of {string.Join(", ", Enum.GetNames<MailListenerKind>())}{Suggest(kindText, Enum.GetNames<MailListenerKind>())}");
                var addressText = String(item, "address", at);
                IPEndPoint? endPoint = null;
                if (addressText is null) Error($"{at}.address", "missing: an address and port such as \"127.0.0.1:2525\" or \"[::1]:2525\".");
                else if (ParseEndPoint(addressText, out var why) is { } ep) endPoint = ep;
                else Error($"{at}.address", why);
                if (endPoint is null || kind is null) continue;
                if (seen.TryGetValue(endPoint, out var first)) { Error($"{at}.address", $"{endPoint} is already used by {first}; two listeners cannot bind one address."); continue; }
                var overlap = seen.FirstOrDefault(s => s.Key.Port == endPoint.Port && s.Key.AddressFamily == endPoint.AddressFamily &&
                    (IsAny(s.Key.Address) || IsAny(endPoint.Address)));
                if (overlap.Key is not null) { Error($"{at}.address", $"{endPoint} overlaps {overlap.Key} ({overlap.Value}): a wildcard address takes the port on every address."); continue; }
                seen[endPoint] = at;
                listeners.Add(new MailListenerConfig(kind.Value, endPoint));
            }
            if (i == 0) Error("listeners", "empty: at least one listener is needed.");
            return listeners;
        }

        private static bool IsAny(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

        /// <summary>"127.0.0.1:25", "[::1]:25": an IP literal (no host names: a listener must not depend on DNS at start) and a port.</summary>
        internal static IPEndPoint? ParseEndPoint(string text, out string why)
        {
            why = "";
            string host, portText;
            if (text.StartsWith('['))
            {
                var close = text.IndexOf("]:", StringComparison.Ordinal);
                if (close < 0) { why = $"'{text}' is not [IPv6]:port."; return null; }
                host = text[1..close];
                portText = text[(close + 2)..];
            }
            else
            {
                var colon = text.LastIndexOf(':');
                if (colon < 0) { why = $"'{text}' has no port; write address:port, e.g. 127.0.0.1:2525."; return null; }
                host = text[..colon];
                portText = text[(colon + 1)..];
                if (host.Contains(':')) { why = $"'{text}': an IPv6 address needs brackets, e.g. [::1]:2525."; return null; }
            }
            if (!IPAddress.TryParse(host, out var address) || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Count(c => c == '.') != 3))
            { why = $"'{host}' is not an IP address (host names are not accepted: a listener binds an address)."; return null; }
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            { why = $"port '{portText}' is out of range; it must be 1 to 65535."; return null; }
            return new IPEndPoint(address, port);
        }

        private MailTlsConfig? ReadTls(JsonElement root, string dataPath)
        {
            var fallback = MailServerConfig.DefaultTls(dataPath);
            if (!root.TryGetProperty("tls", out var tls) || tls.ValueKind == JsonValueKind.Null) return fallback;
            if (!Kind(tls, "tls", JsonValueKind.Object)) return null;
            Known(tls, "tls", TlsSettings);
            var cert = PathSetting(tls, "certificatePath", false, parent: "tls");
            var key = PathSetting(tls, "keyPath", false, parent: "tls");
            if (cert is null && key is null) return fallback;
            if (cert is null || key is null) { Error(cert is null ? "tls.certificatePath" : "tls.keyPath", "missing: give both certificatePath and keyPath, or neither for a self-signed pair."); return null; }
            foreach (var (setting, reason) in MailServerCertificate.Check(cert, key)) Error($"tls.{setting}", reason);
            return new MailTlsConfig(cert, key, SelfSigned: false);
        }

        private MailDnsConfig ReadDns(JsonElement root)
        {
            if (!root.TryGetProperty("dns", out var dns) || dns.ValueKind == JsonValueKind.Null) return MailDnsConfig.System;
            if (!Kind(dns, "dns", JsonValueKind.Object)) return MailDnsConfig.System;
            Known(dns, "dns", DnsSettings);
            var servers = new List<string>();
            if (dns.TryGetProperty("nameServers", out var list) && list.ValueKind != JsonValueKind.Null && Kind(list, "dns.nameServers", JsonValueKind.Array))
            {
                var i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var at = $"dns.nameServers[{i++}]";
                    if (!Kind(item, at, JsonValueKind.String)) continue;
                    var text = item.GetString()!.Trim();
                    // An IP literal only: the resolver must not need DNS to find itself.
                    if (!IPAddress.TryParse(text, out _) && ParseEndPoint(text, out var why) is null)
                        Error(at, $"'{text}' is not a name server: give an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53.");
                    else servers.Add(text);
                }
            }
            var blocklists = new List<string>();
            if (dns.TryGetProperty("blocklists", out var zones) && zones.ValueKind != JsonValueKind.Null && Kind(zones, "dns.blocklists", JsonValueKind.Array))
            {
                var i = 0;
                foreach (var item in zones.EnumerateArray())
                {
                    var at = $"dns.blocklists[{i++}]";
                    if (!Kind(item, at, JsonValueKind.String)) continue;
                    if (!MailDomainName.TryNormalize(item.GetString(), out var zone, out var why)) Error(at, $"'{item.GetString()}' is not a blocklist zone: {why}");
                    else if (blocklists.Contains(zone)) Error(at, $"'{zone}' is listed twice.");
                    else blocklists.Add(zone);
                }
            }
            var lookup = Bool(dns, "clientNameLookup", "dns") ?? true;
            return new MailDnsConfig(servers) { Blocklists = blocklists, ClientNameLookup = lookup };
        }

        private List<MailDkimKeyConfig> ReadDkim(JsonElement root)
        {
            var keys = new List<MailDkimKeyConfig>();
            if (!root.TryGetProperty("dkim", out var list) || list.ValueKind == JsonValueKind.Null) return keys;
            if (!Kind(list, "dkim", JsonValueKind.Array)) return keys;
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var at = $"dkim[{i++}]";
                if (!Kind(item, at, JsonValueKind.Object)) continue;
                Known(item, at, DkimSettings);
                var domainText = String(item, "domain", at);
                var selectorText = String(item, "selector", at);
                var path = PathSetting(item, "privateKeyPath", mustHaveDirectory: false, parent: at);
                string? domain = null, selector = null, keyType = null;
                if (domainText is null) Error($"{at}.domain", "missing: the signing domain (d=), e.g. \"example.com\".");
                else if (MailDomainName.TryNormalize(domainText, out var d, out var domainError)) domain = d;
                else Error($"{at}.domain", domainError);
                if (selectorText is null) Error($"{at}.selector", "missing: the selector (s=) the public key is published under.");
                else if (MailOps.Dkim.DkimKeyGenerator.TryNormalizeSelector(selectorText, out var s, out var selectorError)) selector = s;
                else Error($"{at}.selector", selectorError);
                if (path is null) Error($"{at}.privateKeyPath", "missing: the PEM private key file (New-DkimKey writes one).");
                else if (!File.Exists(path)) Error($"{at}.privateKeyPath", $"'{path}' does not exist.");
                else
                {
                    try { keyType = MailOps.Dkim.DkimPublicKey.FromPrivateKeyFile(path).KeyType; }
                    catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException) { Error($"{at}.privateKeyPath", e.Message); }
                }
                if (domain is null || selector is null || path is null || keyType is null) continue;
                if (keys.Any(k => k.Domain == domain && k.Selector == selector)) { Error($"{at}.selector", $"{selector} is already configured for {domain}."); continue; }
                keys.Add(new MailDkimKeyConfig(domain, selector, path, keyType));
            }
            return keys;
        }

        private List<IPNetwork>? ReadNetworks(JsonElement root, string setting)
        {
            if (!root.TryGetProperty(setting, out var list) || list.ValueKind == JsonValueKind.Null) return null;
            if (!Kind(list, setting, JsonValueKind.Array)) return null;
            var networks = new List<IPNetwork>();
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var at = $"{setting}[{i++}]";
                if (!Kind(item, at, JsonValueKind.String)) continue;
                var text = item.GetString()!.Trim();
                // Postfix writes IPv6 networks as [::1]/128; a bare address means that one host.
                var plain = text.Replace("[", "").Replace("]", "");
                if (!plain.Contains('/') && IPAddress.TryParse(plain, out var single)) plain += single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "/32" : "/128";
                if (!IPNetwork.TryParse(plain, out var network)) { Error(at, $"'{text}' is not a network in CIDR form such as 192.0.2.0/24 or 2001:db8::/32."); continue; }
                // Postfix refuses these ("non-null host address bits"): 192.168.1.1/24 is probably a typo for a host or a network.
                if (!network.BaseAddress.Equals(IPAddress.Parse(plain[..plain.IndexOf('/')])))
                { Error(at, $"'{text}' has host bits set beyond /{network.PrefixLength}; write the network address {network}."); continue; }
                networks.Add(network);
            }
            return networks;
        }

        private MailRelayHost? ReadRelayHost(JsonElement root)
        {
            var text = String(root, "relayHost");
            if (text is null) return null;
            var relay = MailRelayHost.Parse(text, out var why);
            if (relay is null) Error("relayHost", why);
            return relay;
        }

        private NetworkCredential? ReadRelayHostAuth(JsonElement root, MailRelayHost? relayHost)
        {
            if (!root.TryGetProperty("relayHostAuth", out var auth) || auth.ValueKind == JsonValueKind.Null) return null;
            if (!Kind(auth, "relayHostAuth", JsonValueKind.Object)) return null;
            Known(auth, "relayHostAuth", RelayHostAuthSettings);
            var user = String(auth, "username", "relayHostAuth");
            var password = String(auth, "password", "relayHostAuth");
            if (user is null || password is null) { Error(user is null ? "relayHostAuth.username" : "relayHostAuth.password", "missing: give both username and password."); return null; }
            if (relayHost is null) { Error("relayHostAuth", "is set but relayHost is not; AUTH is only used with a relay host."); return null; }
            return new NetworkCredential(user, password);
        }

        private Dictionary<string, MailTlsPolicy> ReadTlsPolicies(JsonElement root)
        {
            var policies = new Dictionary<string, MailTlsPolicy>(StringComparer.OrdinalIgnoreCase);
            if (!root.TryGetProperty("tlsPolicy", out var map) || map.ValueKind == JsonValueKind.Null) return policies;
            if (!Kind(map, "tlsPolicy", JsonValueKind.Object)) return policies;
            foreach (var property in map.EnumerateObject())
            {
                var at = $"tlsPolicy.{property.Name}";
                if (property.Name != "*" && !MailDomainName.TryNormalize(property.Name, out _, out _))
                { Error(at, $"'{property.Name}' is not a domain or host name (or \"*\" for the default)."); continue; }
                var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                if (value is null || !Enum.TryParse<MailTlsPolicy>(value, ignoreCase: true, out var level) || !Enum.IsDefined(level) || char.IsDigit(value[0]))
                { Error(at, $"must be \"may\" or \"encrypt\"{(value is null ? "." : Suggest(value, ["may", "encrypt"]))}"); continue; }
                policies[property.Name] = level;
            }
            return policies;
        }

        private int ReadRemoteSmtpPort(JsonElement root)
        {
            if (!root.TryGetProperty("remoteSmtpPort", out var value) || value.ValueKind == JsonValueKind.Null) return 25;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var port) || port is < 1 or > 65535)
            { Error("remoteSmtpPort", "must be a port number from 1 to 65535."); return 25; }
            return port;
        }

        private MailQueueConfig ReadQueue(JsonElement root)
        {
            var d = new MailQueueConfig();
            if (!root.TryGetProperty("queue", out var queue) || queue.ValueKind == JsonValueKind.Null) return d;
            if (!Kind(queue, "queue", JsonValueKind.Object)) return d;
            Known(queue, "queue", QueueSettings);
            TimeSpan Seconds(string name, TimeSpan fallback)
            {
                var at = $"queue.{name}";
                if (!queue.TryGetProperty(name, out var value)) return fallback;
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var n) || n <= 0 || n > 365 * 86400.0)
                { Error(at, "must be a number of seconds above 0 (at most a year)."); return fallback; }
                return TimeSpan.FromSeconds(n);
            }
            var result = new MailQueueConfig
            {
                MinimalBackoff = Seconds("minimalBackoff", d.MinimalBackoff),
                MaximalBackoff = Seconds("maximalBackoff", d.MaximalBackoff),
                MaximalLifetime = Seconds("maximalLifetime", d.MaximalLifetime),
                BounceLifetime = Seconds("bounceLifetime", d.BounceLifetime),
            };
            if (result.MaximalBackoff < result.MinimalBackoff)
                Error("queue.maximalBackoff", $"{result.MaximalBackoff.TotalSeconds} is less than minimalBackoff ({result.MinimalBackoff.TotalSeconds}).");
            return result;
        }

        private MailLimitsConfig ReadLimits(JsonElement root)
        {
            var d = new MailLimitsConfig();
            if (!root.TryGetProperty("limits", out var limits) || !Kind(limits, "limits", JsonValueKind.Object)) return d;
            Known(limits, "limits", LimitSettings);
            long Number(string name, long fallback, long min, long max, string unit)
            {
                var at = $"limits.{name}";
                if (!limits.TryGetProperty(name, out var value)) return fallback;
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n)) { Error(at, $"must be a whole number of {unit}."); return fallback; }
                if (n < min || n > max) { Error(at, $"{n} is out of range; it must be {min} to {max} {unit}."); return fallback; }
                return n;
            }
            var maxConnections = (int)Number("maxConnections", d.MaxConnections, 1, 100_000, "sessions");
            var perClient = (int)Number("maxConnectionsPerClient", d.MaxConnectionsPerClient, 1, 100_000, "sessions");
            if (perClient > maxConnections) Error("limits.maxConnectionsPerClient", $"{perClient} is more than maxConnections ({maxConnections}).");
            return new MailLimitsConfig
            {
                // 1 KiB floor: below it not even headers fit. 2 GiB ceiling: Maildir S= sizes and our queue files use 32-bit friendly sizes.
                MessageSizeLimit = Number("messageSizeLimit", d.MessageSizeLimit, 1024, int.MaxValue, "bytes"),
                // RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients.
                RecipientLimit = (int)Number("recipientLimit", d.RecipientLimit, 100, 100_000, "recipients"),
                MaxConnections = maxConnections,
                MaxConnectionsPerClient = perClient,
                MaxUserIpConnections = (int)Number("maxUserIpConnections", d.MaxUserIpConnections, 0, 100_000, "sessions"),
                CommandTimeout = TimeSpan.FromSeconds(Number("commandTimeout", (long)d.CommandTimeout.TotalSeconds, 1, 3600, "seconds")),
                DataTimeout = TimeSpan.FromSeconds(Number("dataTimeout", (long)d.DataTimeout.TotalSeconds, 1, 3600, "seconds")),
                ErrorLimit = (int)Number("errorLimit", d.ErrorLimit, 1, 1000, "errors"),
                DeliveryConcurrency = (int)Number("deliveryConcurrency", d.DeliveryConcurrency, 1, 1000, "messages"),
                DestinationConcurrency = (int)Number("destinationConcurrency", d.DestinationConcurrency, 1, 1000, "connections"),
                ClientConnectionRateLimit = (int)Number("clientConnectionRateLimit", d.ClientConnectionRateLimit, 0, 1_000_000, "connections"),
                ClientMessageRateLimit = (int)Number("clientMessageRateLimit", d.ClientMessageRateLimit, 0, 1_000_000, "messages"),
                ClientRecipientRateLimit = (int)Number("clientRecipientRateLimit", d.ClientRecipientRateLimit, 0, 1_000_000, "recipients"),
                SaslUserMessageRateLimit = (int)Number("saslUserMessageRateLimit", d.SaslUserMessageRateLimit, 0, 1_000_000, "messages"),
                RateTimeUnit = TimeSpan.FromSeconds(Number("rateTimeUnit", (long)d.RateTimeUnit.TotalSeconds, 1, 86_400, "seconds")),
                AuthFailureDelay = TimeSpan.FromSeconds(Number("authFailureDelay", (long)d.AuthFailureDelay.TotalSeconds, 0, 60, "seconds")),
                LoginTimeout = TimeSpan.FromSeconds(Number("loginTimeout", (long)d.LoginTimeout.TotalSeconds, 1, 3600, "seconds")),
                // RFC 1939 3: the autologout timer must be at least 10 minutes.
                Pop3IdleTimeout = TimeSpan.FromSeconds(Number("pop3IdleTimeout", (long)d.Pop3IdleTimeout.TotalSeconds, 600, 86400, "seconds")),
                // RFC 3501 5.4: the autologout timer must be at least 30 minutes.
                ImapIdleTimeout = TimeSpan.FromSeconds(Number("imapIdleTimeout", (long)d.ImapIdleTimeout.TotalSeconds, 1800, 86400, "seconds")),
                MaxLoginFailures = (int)Number("maxLoginFailures", d.MaxLoginFailures, 1, 100_000, "failures"),
            };
        }

        private void Known(JsonElement element, string parent, string[] known)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (known.Contains(property.Name, StringComparer.Ordinal)) continue;
                var at = parent.Length == 0 ? property.Name : $"{parent}.{property.Name}";
                Error(at, $"unknown setting '{property.Name}'{Suggest(property.Name, known)}");
            }
        }

        /// <summary>"; did you mean 'x'?" for the closest known name within a few typos, else the sentence's full stop.</summary>
        private static string Suggest(string given, string[] known)
        {
            var best = known.Select(k => (Name: k, Distance: Distance(given.ToLowerInvariant(), k.ToLowerInvariant()))).MinBy(p => p.Distance);
            return best.Name is not null && best.Distance <= Math.Max(2, best.Name.Length / 3) ? $"; did you mean '{best.Name}'?" : ".";
        }

        private static int Distance(string a, string b)
        {
            var row = Enumerable.Range(0, b.Length + 1).ToArray();
            for (var i = 1; i <= a.Length; i++)
            {
                var diagonal = row[0];
                row[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var above = row[j];
                    row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                    diagonal = above;
                }
            }
            return row[b.Length];
        }

        private bool Kind(JsonElement element, string at, JsonValueKind kind)
        {
            if (element.ValueKind == kind) return true;
            Error(at, $"must be {kind switch { JsonValueKind.Array => "a list [ ... ]", JsonValueKind.Object => "an object { ... }", JsonValueKind.String => "a string", _ => kind.ToString() }}, not {element.ValueKind.ToString().ToLowerInvariant()}.");
            return false;
        }

        private string? String(JsonElement element, string name, string parent = "")
        {
            if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            var at = parent.Length == 0 ? name : $"{parent}.{name}";
            if (!Kind(value, at, JsonValueKind.String)) return null;
            var text = value.GetString()!;
            if (text.Trim().Length == 0) { Error(at, "is empty; remove the setting or use null for the default."); return null; }
            return text;
        }

        private bool? Bool(JsonElement element, string name, string parent = "")
        {
            if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
            Error(parent.Length == 0 ? name : $"{parent}.{name}", "must be true or false.");
            return null;
        }

        /// <summary>A path setting made absolute against the config file's directory; its directory must exist unless it lies under dataPath (created at start).</summary>
        private string? PathSetting(JsonElement element, string name, bool mustHaveDirectory, string? dataPath = null, string parent = "")
        {
            var text = String(element, name, parent);
            if (text is null) return null;
            var full = Path.GetFullPath(text, _directory);
            var directory = Path.GetDirectoryName(full);
            var underData = dataPath is not null && full.StartsWith(Path.TrimEndingDirectorySeparator(dataPath) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            if (mustHaveDirectory && !underData && directory is not null && !Directory.Exists(directory))
                Error(parent.Length == 0 ? name : $"{parent}.{name}", $"the directory '{directory}' does not exist.");
            return full;
        }
    }
}
