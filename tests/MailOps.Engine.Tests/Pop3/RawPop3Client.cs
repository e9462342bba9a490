using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MailOps.Engine.Tests.Pop3;

/// <summary>A bare socket speaking POP3: for malformed input, pipelining and exact responses.</summary>
public sealed class RawPop3Client : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly List<byte> _pending = [];

    private RawPop3Client(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and reads the greeting, which must be +OK.</summary>
    public static async Task<RawPop3Client> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var client = new RawPop3Client(tcp);
        Assert.StartsWith("+OK", await client.ReadLineAsync());
        return client;
    }

    /// <summary>Connects and logs in with USER/PASS.</summary>
    public static async Task<RawPop3Client> LoginAsync(int port, string user = "alice", string password = "secret")
    {
        var client = await ConnectAsync(port);
        Assert.StartsWith("+OK", await client.CommandAsync($"USER {user}"));
        Assert.StartsWith("+OK", await client.CommandAsync($"PASS {password}"));
        return client;
    }

    /// <summary>Sends text as it is.</summary>
    public async Task SendAsync(string text)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        await _stream.FlushAsync();
    }

    /// <summary>Sends one line with CRLF and reads the one-line response.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadLineAsync();
    }

    /// <summary>Sends one line and reads a multi-line response: the status line, then the lines up to ".", un-stuffed.</summary>
    public async Task<(string Status, List<string> Lines)> MultiLineAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadMultiLineAsync();
    }

    /// <summary>Reads a multi-line response (or a one-line -ERR).</summary>
    public async Task<(string Status, List<string> Lines)> ReadMultiLineAsync()
    {
        var status = await ReadLineAsync();
        var lines = new List<string>();
        if (!status.StartsWith("+OK", StringComparison.Ordinal)) return (status, lines);
        while (true)
        {
            var next = await ReadLineAsync();
            if (next == ".") return (status, lines);
            lines.Add(next.StartsWith('.') ? next[1..] : next);
        }
    }

    /// <summary>Starts TLS (after +OK to STLS), accepting the test certificate.</summary>
    public async Task StartTlsAsync()
    {
        var tls = new SslStream(_stream, false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        _stream = tls;
        _pending.Clear();
    }

    /// <summary>Reads one line without its CRLF; "" when the server closed the connection.</summary>
    public async Task<string> ReadLineAsync(int timeoutSeconds = 20)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        var buffer = new byte[4096];
        while (true)
        {
            var lf = _pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Encoding.UTF8.GetString(_pending.GetRange(0, lf).ToArray()).TrimEnd('\r');
                _pending.RemoveRange(0, lf + 1);
                return line;
            }
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) return "";
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>Closes the connection without QUIT.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
