using System.Net.Sockets;
using System.Text;

namespace MailOps.Engine.Tests.Imap;

/// <summary>A bare socket speaking IMAP: for malformed input, literals and exact responses.</summary>
public sealed class RawImapClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly List<byte> _pending = [];
    private int _tag;

    private RawImapClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The greeting line.</summary>
    public string Greeting { get; private set; } = "";

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and reads the greeting.</summary>
    public static async Task<RawImapClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var client = new RawImapClient(tcp);
        client.Greeting = await client.ReadLineAsync();
        return client;
    }

    /// <summary>Sends text as it is.</summary>
    public async Task SendAsync(string text) => await _stream.WriteAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends octets as they are.</summary>
    public async Task SendAsync(byte[] octets) => await _stream.WriteAsync(octets);

    /// <summary>Sends a tagged command and returns every line up to and including its tagged response.</summary>
    public async Task<List<string>> CommandAsync(string command)
    {
        var tag = "a" + ++_tag;
        await SendAsync(tag + " " + command + "\r\n");
        return await ReadUntilTagAsync(tag);
    }

    /// <summary>Reads lines until the one starting with <paramref name="tag"/>.</summary>
    public async Task<List<string>> ReadUntilTagAsync(string tag)
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync();
            // The server hung up before answering: fail, rather than wait for a tag that cannot come.
            if (line == "<closed>") throw new IOException("Connection closed before the tagged answer: " + string.Join(" | ", lines));
            lines.Add(line);
            if (line.StartsWith(tag + " ", StringComparison.Ordinal)) return lines;
        }
    }

    /// <summary>One line without its CRLF; fails after 20 s.</summary>
    public async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var lf = _pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Encoding.UTF8.GetString(_pending.GetRange(0, lf).ToArray()).TrimEnd('\r');
                _pending.RemoveRange(0, lf + 1);
                return line;
            }
            var buffer = new byte[8192];
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) return _pending.Count == 0 ? "<closed>" : Encoding.UTF8.GetString(_pending.ToArray());
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
