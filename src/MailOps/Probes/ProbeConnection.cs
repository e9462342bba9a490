using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailOps.Probes;

/// <summary>
/// A line-oriented client connection for the probes: reads CRLF lines byte by byte from a buffer, writes commands,
/// can switch to TLS in the middle, and records every line with direction, TLS flag and time.
/// </summary>
internal sealed class ProbeConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stopwatch _clock;
    private readonly TimeSpan _timeout;
    private readonly List<ProbeTranscriptLine> _transcript;
    private Stream _stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private ProbeConnection(Socket socket, Stopwatch clock, TimeSpan timeout, List<ProbeTranscriptLine> transcript)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _clock = clock;
        _timeout = timeout;
        _transcript = transcript;
    }

    /// <summary>The stream is inside TLS.</summary>
    public bool IsTls { get; private set; }
    /// <summary>Bytes the server sent that have not been read as lines yet.</summary>
    public int Buffered => _end - _start;

    /// <summary>Connects to <paramref name="endPoint"/> within the timeout.</summary>
    public static async Task<ProbeConnection> ConnectAsync(IPEndPoint endPoint, Stopwatch clock, TimeSpan timeout, List<ProbeTranscriptLine> transcript, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var limit = Limit(cancellationToken, timeout);
            await socket.ConnectAsync(endPoint, limit.Token).ConfigureAwait(false);
            return new ProbeConnection(socket, clock, timeout, transcript);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the TLS handshake as client for <paramref name="serverName"/>; the certificate is always accepted here
    /// and judged afterwards into the returned details.
    /// </summary>
    public async Task<MailTlsDetails> StartTlsAsync(string serverName, X509Certificate2Collection? trustedRoots, CancellationToken cancellationToken)
    {
        if (_end > _start) throw new InvalidOperationException("unread plain-text bytes before the TLS handshake");
        var presented = new List<X509Certificate2>();
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            // SNI is a host name only (RFC 6066 3): never an address literal.
            TargetHost = IPAddress.TryParse(serverName.Trim('[', ']'), out _) ? "" : serverName,
            RemoteCertificateValidationCallback = (_, _, chain, _) =>
            {
                if (chain is not null)
                    foreach (var extra in chain.ChainPolicy.ExtraStore) presented.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
                return true;
            },
        };
        using (var limit = Limit(cancellationToken, _timeout))
            await tls.AuthenticateAsClientAsync(options, limit.Token).ConfigureAwait(false);
        _stream = tls;
        IsTls = true;
        var details = MailTlsDetails.FromStream(tls, serverName, presented, trustedRoots);
        Note($"TLS {details.Protocol} {details.CipherSuite}, certificate {details.CertificateSubject}");
        return details;
    }

    /// <summary>Writes <paramref name="line"/> and CRLF; the transcript shows <paramref name="shown"/> instead when given (masked credentials).</summary>
    public Task WriteLineAsync(string line, CancellationToken cancellationToken, string? shown = null) =>
        WriteLinesAsync([line], cancellationToken, shown is null ? null : [shown]);

    /// <summary>Writes several lines in one packet (pipelining).</summary>
    public async Task WriteLinesAsync(IReadOnlyList<string> lines, CancellationToken cancellationToken, IReadOnlyList<string>? shown = null)
    {
        var text = string.Concat(lines.Select(l => l + "\r\n"));
        for (var i = 0; i < lines.Count; i++) Record(ProbeDirection.Sent, shown?[i] ?? lines[i]);
        await WriteRawAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes bytes as they are, noting <paramref name="summary"/> in the transcript.</summary>
    public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken, string? summary = null)
    {
        if (summary is not null) Record(ProbeDirection.Sent, summary);
        using var limit = Limit(cancellationToken, _timeout);
        await _stream.WriteAsync(bytes, limit.Token).ConfigureAwait(false);
        await _stream.FlushAsync(limit.Token).ConfigureAwait(false);
    }

    /// <summary>Reads one line without CRLF; null when the server closed the connection.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        using var limit = Limit(cancellationToken, _timeout);
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await _stream.ReadAsync(_buffer, limit.Token).ConfigureAwait(false);
                if (_end == 0)
                {
                    if (line.Count == 0) return null;
                    break;
                }
            }
            var span = _buffer.AsSpan(_start, _end - _start);
            var lf = span.IndexOf((byte)'\n');
            if (lf < 0)
            {
                line.AddRange(span.ToArray());
                _start = _end;
                if (line.Count > 64 * 1024) throw new IOException("the server sent a line longer than 64 KiB");
                continue;
            }
            line.AddRange(span[..lf].ToArray());
            _start += lf + 1;
            break;
        }
        if (line.Count > 0 && line[^1] == '\r') line.RemoveAt(line.Count - 1);
        var text = Encoding.UTF8.GetString(line.ToArray());
        Record(ProbeDirection.Received, text);
        return text;
    }

    /// <summary>Adds a note (not a protocol line) to the transcript, as a received line in angle brackets.</summary>
    public void Note(string text) => Record(ProbeDirection.Received, $"<{text}>");

    private void Record(ProbeDirection direction, string text)
    {
        lock (_transcript) _transcript.Add(new ProbeTranscriptLine(_clock.Elapsed, direction, IsTls, text));
    }

    private static CancellationTokenSource Limit(CancellationToken cancellationToken, TimeSpan timeout)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        return limit;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try { await _stream.DisposeAsync().ConfigureAwait(false); }
        catch (IOException) { }
        _socket.Dispose();
    }
}
