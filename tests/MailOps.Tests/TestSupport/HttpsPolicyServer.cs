using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailOps.Tests.TestSupport;

/// <summary>What the test HTTPS server answers to one request.</summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="ContentType">Content-Type header value.</param>
/// <param name="Body">Response body.</param>
/// <param name="Location">Location header for redirects, or null.</param>
public sealed record HttpsAnswer(int Status, string ContentType, string Body, string? Location = null);

/// <summary>
/// A real TLS server on 127.0.0.1 (TcpListener + SslStream) speaking just enough HTTP/1.1 to serve one answer per request.
/// Written in the test rather than using <c>openssl s_server -WWW</c> so that a test can also serve 404s, redirects and wrong content types.
/// </summary>
public sealed class HttpsPolicyServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly Func<string, string, HttpsAnswer> _answer;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The port it listens on.</summary>
    public int Port { get; }
    /// <summary>"Host path" of every request served.</summary>
    public List<string> Requests { get; } = [];

    private HttpsPolicyServer(X509Certificate2 certificate, Func<string, string, HttpsAnswer> answer)
    {
        _certificate = certificate;
        _answer = answer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    /// <summary>Starts a server presenting <paramref name="certificate"/>; <paramref name="answer"/> gets (host, path).</summary>
    public static HttpsPolicyServer Start(X509Certificate2 certificate, Func<string, string, HttpsAnswer> answer) => new(certificate, answer);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            var head = new StringBuilder();
            var buffer = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 8192)
            {
                if (await tls.ReadAsync(buffer, _stop.Token) == 0) return;
                head.Append((char)buffer[0]);
            }
            var lines = head.ToString().Split("\r\n");
            var path = lines[0].Split(' ')[1];
            var host = lines.FirstOrDefault(l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))?[5..].Trim() ?? "";
            lock (Requests) Requests.Add($"{host} {path}");
            var answer = _answer(host, path);
            var body = Encoding.UTF8.GetBytes(answer.Body);
            var response = $"HTTP/1.1 {answer.Status} X\r\nContent-Type: {answer.ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n"
                + (answer.Location is null ? "" : $"Location: {answer.Location}\r\n") + "\r\n";
            await tls.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
            await tls.WriteAsync(body, _stop.Token);
            await tls.FlushAsync(_stop.Token);
        }
        catch (Exception)
        {
            // The client may reject the certificate and hang up: that is what some tests expect.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
