using System.Globalization;
using System.Text;

namespace MailOps.Probes;

/// <summary>
/// Probes an IMAP server (RFC 9051, RFC 3501): greeting, CAPABILITY before and after STARTTLS, TLS details, a LOGIN test, and
/// the mailboxes from LIST with their STATUS message counts.
/// </summary>
public static class ImapProbe
{
    /// <summary>Probes one server; never throws for what the server does, the result tells.</summary>
    public static Task<ImapProbeResult> ProbeAsync(MailAccessProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new ImapProbeResult { Server = options.Host, Port = options.Port != 0 ? options.Port : DefaultPort(options.Tls) };
        return MailAccessProbe.RunAsync(options, result, result.Port, async (connection, clock) =>
        {
            var session = new Session(connection, cancellationToken);
            var started = clock.Elapsed;
            if (options.Tls == MailTlsMode.Implicit)
            {
                result.TlsMode = MailTlsMode.Implicit;
                await MailAccessProbe.HandshakeAsync(connection, options, result, cancellationToken).ConfigureAwait(false);
            }
            var greeting = await MailAccessProbe.ReadLineAsync(connection, cancellationToken).ConfigureAwait(false);
            result.Banner = greeting;
            // RFC 9051 7.1: the greeting is * OK, * PREAUTH or * BYE (refused).
            if (!greeting.StartsWith("* OK", StringComparison.OrdinalIgnoreCase) && !greeting.StartsWith("* PREAUTH", StringComparison.OrdinalIgnoreCase))
                throw new MailAccessStageException(MailAccessProbeOutcome.Banner, $"greeting '{greeting}'");
            var capabilities = await session.CapabilityAsync().ConfigureAwait(false);
            result.Timings.Add(new ProbeStageTiming("Greeting", clock.Elapsed - started));
            if (result.TlsMode != MailTlsMode.Implicit)
            {
                result.CapabilitiesBeforeTls = capabilities;
                var offered = capabilities.Contains("STARTTLS", StringComparer.OrdinalIgnoreCase);
                if (options.Tls == MailTlsMode.StartTls || (options.Tls == MailTlsMode.Auto && offered))
                {
                    started = clock.Elapsed;
                    if (!offered) throw new MailAccessStageException(MailAccessProbeOutcome.Tls, "the server does not offer STARTTLS");
                    var (status, _) = await session.CommandAsync("STARTTLS").ConfigureAwait(false);
                    if (!status.Ok) throw new MailAccessStageException(MailAccessProbeOutcome.Tls, $"STARTTLS refused: {status.Text}");
                    result.TlsMode = MailTlsMode.StartTls;
                    await MailAccessProbe.HandshakeAsync(connection, options, result, cancellationToken).ConfigureAwait(false);
                    // RFC 9051 6.2.1: the client must discard cached capabilities after STARTTLS.
                    capabilities = await session.CapabilityAsync().ConfigureAwait(false);
                    result.Timings.Add(new ProbeStageTiming("StartTls", clock.Elapsed - started));
                }
            }
            result.Capabilities = capabilities;
            if (options.Credential is { } credential)
            {
                started = clock.Elapsed;
                if (capabilities.Contains("LOGINDISABLED", StringComparer.OrdinalIgnoreCase))
                {
                    result.LoginSucceeded = false;
                    result.LoginReply = "LOGINDISABLED: the server refuses LOGIN here";
                    throw new MailAccessStageException(MailAccessProbeOutcome.Login, result.LoginReply);
                }
                var user = Quote(credential.UserName);
                var (login, _) = await session.CommandAsync($"LOGIN {user} {Quote(credential.Password)}", $"LOGIN {user} ********").ConfigureAwait(false);
                result.LoginSucceeded = login.Ok;
                result.LoginReply = login.Text;
                result.Timings.Add(new ProbeStageTiming("Login", clock.Elapsed - started));
                if (!login.Ok) throw new MailAccessStageException(MailAccessProbeOutcome.Login, $"login refused: {login.Text}");
                started = clock.Elapsed;
                result.Mailboxes = await MailboxesAsync(session).ConfigureAwait(false);
                result.Timings.Add(new ProbeStageTiming("Mailboxes", clock.Elapsed - started));
            }
            await session.CommandAsync("LOGOUT").ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>143, or 993 for implicit TLS (RFC 8314 7.3).</summary>
    public static int DefaultPort(MailTlsMode tls) => tls == MailTlsMode.Implicit ? 993 : 143;

    private static async Task<IReadOnlyList<ImapMailbox>> MailboxesAsync(Session session)
    {
        var (list, lines) = await session.CommandAsync("LIST \"\" \"*\"").ConfigureAwait(false);
        if (!list.Ok) throw new MailAccessStageException(MailAccessProbeOutcome.Mailbox, $"LIST failed: {list.Text}");
        var mailboxes = new List<ImapMailbox>();
        foreach (var line in lines)
        {
            // RFC 9051 7.3.1: * LIST (attributes) delimiter name
            var tokens = Tokenize(line);
            if (tokens.Count < 5 || !tokens[1].Equals("LIST", StringComparison.OrdinalIgnoreCase)) continue;
            var attributes = tokens[2].Trim('(', ')').Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var delimiter = tokens[3].Equals("NIL", StringComparison.OrdinalIgnoreCase) ? null : tokens[3];
            var name = tokens[4];
            int? messages = null, unseen = null;
            if (!attributes.Any(a => a.Equals("\\Noselect", StringComparison.OrdinalIgnoreCase) || a.Equals("\\NonExistent", StringComparison.OrdinalIgnoreCase)))
            {
                var (status, statusLines) = await session.CommandAsync($"STATUS {Quote(name)} (MESSAGES UNSEEN)").ConfigureAwait(false);
                if (status.Ok)
                {
                    var items = statusLines.Select(Tokenize).FirstOrDefault(t => t.Count >= 4 && t[1].Equals("STATUS", StringComparison.OrdinalIgnoreCase));
                    if (items is not null)
                    {
                        var values = items[^1].Trim('(', ')').Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        for (var i = 0; i + 1 < values.Length; i += 2)
                        {
                            var n = int.Parse(values[i + 1], CultureInfo.InvariantCulture);
                            if (values[i].Equals("MESSAGES", StringComparison.OrdinalIgnoreCase)) messages = n;
                            else if (values[i].Equals("UNSEEN", StringComparison.OrdinalIgnoreCase)) unseen = n;
                        }
                    }
                }
            }
            mailboxes.Add(new ImapMailbox(name, delimiter, attributes, messages, unseen));
        }
        return mailboxes;
    }

    /// <summary>An IMAP quoted string (RFC 9051 4.3): backslash and double quote escaped.</summary>
    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Splits a response line into atoms, unquoted strings and parenthesised lists (kept whole, parentheses included).</summary>
    internal static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ') { i++; continue; }
            if (line[i] == '"')
            {
                var text = new StringBuilder();
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length) i++;
                    text.Append(line[i++]);
                }
                i++;
                tokens.Add(text.ToString());
            }
            else if (line[i] == '(')
            {
                var depth = 0;
                var start = i;
                do
                {
                    if (line[i] == '(') depth++;
                    else if (line[i] == ')') depth--;
                    i++;
                }
                while (i < line.Length && depth > 0);
                tokens.Add(line[start..i]);
            }
            else
            {
                var start = i;
                while (i < line.Length && line[i] != ' ') i++;
                tokens.Add(line[start..i]);
            }
        }
        return tokens;
    }

    private sealed record Status(bool Ok, string Text);

    /// <summary>Tagged commands and their untagged responses; a literal ({n}) is read and turned into a quoted string.</summary>
    private sealed class Session(ProbeConnection connection, CancellationToken cancellationToken)
    {
        private int _tag;

        public async Task<IReadOnlyList<string>> CapabilityAsync()
        {
            var (status, lines) = await CommandAsync("CAPABILITY").ConfigureAwait(false);
            if (!status.Ok) throw new MailAccessStageException(MailAccessProbeOutcome.Banner, $"CAPABILITY failed: {status.Text}");
            return lines.Select(Tokenize).Where(t => t.Count > 1 && t[1].Equals("CAPABILITY", StringComparison.OrdinalIgnoreCase))
                .SelectMany(t => t.Skip(2)).ToArray();
        }

        public async Task<(Status Status, List<string> Untagged)> CommandAsync(string command, string? shown = null)
        {
            var tag = "P" + (++_tag).ToString(CultureInfo.InvariantCulture);
            await connection.WriteLineAsync($"{tag} {command}", cancellationToken, shown is null ? null : $"{tag} {shown}").ConfigureAwait(false);
            var untagged = new List<string>();
            while (true)
            {
                var line = await ReadResponseLineAsync().ConfigureAwait(false);
                if (line.StartsWith(tag + " ", StringComparison.Ordinal))
                {
                    var rest = line[(tag.Length + 1)..];
                    return (new Status(rest.StartsWith("OK", StringComparison.OrdinalIgnoreCase), rest), untagged);
                }
                // RFC 9051 7.1.5: BYE answers LOGOUT; anywhere else the server is closing the connection.
                if (line.StartsWith("* BYE", StringComparison.OrdinalIgnoreCase) && command != "LOGOUT") throw new IOException("the server said " + line);
                untagged.Add(line);
            }
        }

        private async Task<string> ReadResponseLineAsync()
        {
            var line = await MailAccessProbe.ReadLineAsync(connection, cancellationToken).ConfigureAwait(false);
            // RFC 9051 4.3: a literal {n} at the end of a line; its octets follow on the next line(s).
            while (line.EndsWith('}') && line.LastIndexOf('{') is var open && open >= 0
                && int.TryParse(line.AsSpan(open + 1, line.Length - open - 2).TrimEnd('+'), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                var literal = new StringBuilder();
                string next;
                while (true)
                {
                    next = await MailAccessProbe.ReadLineAsync(connection, cancellationToken).ConfigureAwait(false);
                    if (Encoding.UTF8.GetByteCount(literal.ToString()) + Encoding.UTF8.GetByteCount(next) >= size) break;
                    literal.Append(next).Append("\r\n");
                }
                var take = 0;
                while (take < next.Length && Encoding.UTF8.GetByteCount(literal.ToString()) + Encoding.UTF8.GetByteCount(next[..take]) < size) take++;
                literal.Append(next[..take]);
                line = line[..open] + Quote(literal.ToString()) + next[take..];
            }
            return line;
        }
    }
}
