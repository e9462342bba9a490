using System.IO.Compression;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace MailOps.Engine.Tests.Imap;

/// <summary>COMPRESS=DEFLATE (RFC 4978): MailKit reading mail through a compressed session, plain and inside TLS, and the bytes on the wire.</summary>
public sealed class ImapCompressTests : IAsyncLifetime
{
    private ImapTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = ImapTestHost.Start();
        await _host.DeliverAsync("alice", "From: bob@example.org\nTo: alice@example.test\nSubject: first\n\nHello Alice.\n");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(SecureSocketOptions.None)]
    [InlineData(SecureSocketOptions.StartTls)]
    [InlineData(SecureSocketOptions.SslOnConnect)]
    public async Task MailKit_compresses_after_login_then_selects_appends_fetches_bodies_and_hears_a_delivery_in_IDLE(SecureSocketOptions security)
    {
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true, Timeout = 20_000 };
        await client.ConnectAsync("127.0.0.1", security == SecureSocketOptions.SslOnConnect ? _host.TlsPort : _host.Port, security);
        Assert.False(client.Capabilities.HasFlag(ImapCapabilities.Compress), "COMPRESS is offered only after login");
        await client.AuthenticateAsync("alice", "secret");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Compress));
        await client.CompressAsync();

        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(1, inbox.Count);
        // A large message both ways: an APPEND literal the server inflates, a FETCH literal it deflates in many blocks.
        var line = "The quick brown fox jumps over the lazy dog " + new string('x', 30) + "\n";
        var random = new Random(7);
        var noise = Convert.ToBase64String(Enumerable.Range(0, 150_000).Select(_ => (byte)random.Next(256)).ToArray());
        var big = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "From: carol@example.org\nTo: alice@example.test\nSubject: big\n\n" + string.Concat(Enumerable.Repeat(line, 4000)) + noise + "\n")));
        var uid = await inbox.AppendAsync(big, MessageFlags.Seen);
        Assert.NotNull(uid);

        var first = await inbox.GetMessageAsync(0);
        Assert.Equal("first", first.Subject);
        Assert.Equal("Hello Alice.", first.TextBody?.Trim());
        var fetched = await inbox.GetMessageAsync(uid.Value);
        Assert.Equal(big.TextBody, fetched.TextBody);

        using var done = new CancellationTokenSource();
        var arrived = new TaskCompletionSource();
        inbox.CountChanged += (_, _) =>
        {
            arrived.TrySetResult();
            done.Cancel();
        };
        var idle = client.IdleAsync(done.Token);
        await Task.Delay(200);
        await _host.DeliverAsync("alice", "Subject: while idle and compressed\n\nhello\n");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await idle;
        Assert.Equal(3, inbox.Count);
        Assert.Equal("while idle and compressed", (await inbox.GetMessageAsync(2)).Subject);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task After_OK_the_server_sends_raw_deflate_sync_flushed_per_response_and_refuses_a_second_COMPRESS()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _host.Port);
        var socket = tcp.GetStream();
        var reader = new StreamReader(socket, Encoding.ASCII);
        Assert.DoesNotContain("COMPRESS", await reader.ReadLineAsync());
        await socket.WriteAsync("a1 LOGIN alice secret\r\n"u8.ToArray());
        var login = await reader.ReadLineAsync();
        Assert.Contains("COMPRESS=DEFLATE", login);
        Assert.StartsWith("a1 OK", login);
        await socket.WriteAsync("a2 COMPRESS DEFLATE\r\n"u8.ToArray());
        Assert.Equal("a2 OK Begin compression.", await reader.ReadLineAsync());

        using var deflate = new DeflateStream(socket, CompressionLevel.Optimal, leaveOpen: true);
        await deflate.WriteAsync("a3 NOOP\r\n"u8.ToArray());
        await deflate.FlushAsync();
        var wire = await ReadSyncFlushedAsync(socket);
        // Raw DEFLATE: no zlib header (0x78), and not the text itself.
        Assert.NotEqual(0x78, wire[0]);
        Assert.DoesNotContain("NOOP", Encoding.ASCII.GetString(wire));
        Assert.Equal("a3 OK NOOP completed.\r\n", Inflate(wire));

        await deflate.WriteAsync("a4 COMPRESS DEFLATE\r\n"u8.ToArray());
        await deflate.FlushAsync();
        var inflater = new DeflateStream(new MemoryStream([.. wire, .. await ReadSyncFlushedAsync(socket)]), CompressionMode.Decompress);
        var lines = new StreamReader(inflater, Encoding.ASCII);
        Assert.Equal("a3 OK NOOP completed.", await lines.ReadLineAsync());
        Assert.Equal("a4 NO [COMPRESSIONACTIVE] COMPRESSION=DEFLATE already enabled.", await lines.ReadLineAsync());
    }

    [Fact]
    public async Task COMPRESS_before_login_or_with_an_unknown_mechanism_is_refused_and_the_session_stays_plain()
    {
        await using var imap = await RawImapClient.ConnectAsync(_host.Port);
        Assert.StartsWith("a1 BAD", (await imap.CommandAsync("COMPRESS DEFLATE"))[^1]);
        Assert.StartsWith("a2 OK", (await imap.CommandAsync("LOGIN alice secret"))[^1]);
        Assert.Equal("a3 NO Unknown compression mechanism.", (await imap.CommandAsync("COMPRESS LZMA"))[^1]);
        Assert.Equal("a4 OK NOOP completed.", (await imap.CommandAsync("NOOP"))[^1]);
    }

    /// <summary>Raw bytes from the socket up to a sync flush's empty stored block (00 00 FF FF, RFC 4978 4); fails after 20 s.</summary>
    private static async Task<byte[]> ReadSyncFlushedAsync(Stream socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (received.Count < 4 || !received[^4..].SequenceEqual(new byte[] { 0, 0, 0xff, 0xff }))
        {
            var read = await socket.ReadAsync(buffer, timeout.Token);
            if (read == 0) throw new EndOfStreamException("closed before a sync flush: " + Convert.ToHexString(received.ToArray()));
            received.AddRange(buffer.AsSpan(0, read));
        }
        return [.. received];
    }

    private static string Inflate(byte[] deflated)
    {
        using var inflater = new DeflateStream(new MemoryStream(deflated), CompressionMode.Decompress);
        var text = new MemoryStream();
        inflater.CopyTo(text);
        return Encoding.ASCII.GetString(text.ToArray());
    }
}
