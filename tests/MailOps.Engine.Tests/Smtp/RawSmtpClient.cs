using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>A bare socket speaking SMTP byte by byte: for malformed input, pipelining and exact reply codes.</summary>
public sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly List<byte> _pending = [];

    private RawSmtpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>
    /// Connects to 127.0.0.1:<paramref name="port"/> (not reading the greeting), from <paramref name="localAddress"/> when
    /// given (any 127.0.0.x works on Linux loopback), so that the server sees another client address.
    /// </summary>
    public static async Task<RawSmtpClient> ConnectAsync(int port, string? localAddress = null)
    {
        var tcp = localAddress is null ? new TcpClient() : new TcpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(localAddress), 0));
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawSmtpClient(tcp);
    }

    /// <summary>Connects, reads the greeting and sends EHLO, returning the EHLO reply.</summary>
    public static async Task<RawSmtpClient> ConnectAndHelloAsync(int port)
    {
        var client = await ConnectAsync(port);
        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.test"));
        return client;
    }

    /// <summary>Sends text as it is (UTF-8), no line end added.</summary>
    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends bytes as they are.</summary>
    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Sends one command line with CRLF and reads its reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>Reads one (possibly multi-line) reply; lines joined with \n. Empty string when the server closed.</summary>
    public async Task<string> ReadReplyAsync(int timeoutSeconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        var lines = new List<string>();
        while (true)
        {
            string? line = await ReadLineAsync(timeout.Token);
            if (line is null)
            {
                return string.Join("\n", lines);
            }

            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return string.Join("\n", lines);
            }
        }
    }

    /// <summary>True when the server closed the connection (reads end of stream within the timeout).</summary>
    public async Task<bool> IsClosedAsync(int timeoutSeconds = 10)
    {
        try
        {
            return await ReadReplyAsync(timeoutSeconds) == "";
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Upgrades to TLS (after the server's 220 to STARTTLS), trusting any certificate.</summary>
    public async Task UpgradeToTlsAsync()
    {
        var tls = new SslStream(_stream, false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        _stream = tls;
        _pending.Clear();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1];
        while (true)
        {
            int lf = _pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                string line = Encoding.UTF8.GetString(_pending.Take(lf).ToArray()).TrimEnd('\r');
                _pending.RemoveRange(0, lf + 1);
                return line;
            }

            int read = await _stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return null;
            }

            _pending.Add(buffer[0]);
        }
    }
}
