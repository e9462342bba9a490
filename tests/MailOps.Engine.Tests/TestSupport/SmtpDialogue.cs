using System.Net.Sockets;
using System.Text;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>A plain SMTP client that sends exactly the commands a test names, so the server's command counts are predictable.</summary>
public sealed class SmtpDialogue : IDisposable
{
    private readonly TcpClient _client = new();
    private StreamReader _reader = null!;
    private Stream _stream = null!;

    /// <summary>The greeting.</summary>
    public string Greeting { get; private set; } = "";

    /// <summary>Connects and reads the greeting.</summary>
    public static async Task<SmtpDialogue> ConnectAsync(string host, int port)
    {
        var d = new SmtpDialogue();
        await d._client.ConnectAsync(host, port);
        d._stream = d._client.GetStream();
        d._reader = new StreamReader(d._stream, Encoding.ASCII);
        d.Greeting = await d.ReadReplyAsync();
        return d;
    }

    /// <summary>Sends one command line and returns the whole (possibly multi-line) reply.</summary>
    public async Task<string> SendAsync(string line)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
        return await ReadReplyAsync();
    }

    private async Task<string> ReadReplyAsync()
    {
        var reply = new StringBuilder();
        while (true)
        {
            var line = await _reader.ReadLineAsync() ?? throw new IOException("connection closed");
            reply.AppendLine(line);
            if (line.Length < 4 || line[3] == ' ') return reply.ToString().TrimEnd();
        }
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => _client.Dispose();
}
