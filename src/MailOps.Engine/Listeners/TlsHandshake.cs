using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MailOps.Engine.Listeners;

/// <summary>The server side of a TLS handshake, for STARTTLS, STLS and implicit TLS alike.</summary>
internal static class TlsHandshake
{
    /// <summary>
    /// Wraps <paramref name="plain"/> in TLS with <paramref name="certificate"/>. Returns the TLS stream, or the reason the
    /// handshake failed (the plain stream is then closed). CVE-2011-0411: the caller must read only from the new stream,
    /// dropping whatever it had buffered before.
    /// </summary>
    public static async Task<(SslStream? Stream, string? Failure)> AsServerAsync(Stream plain, X509Certificate2? certificate, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var tls = new SslStream(plain, leaveInnerStreamOpen: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions { ServerCertificate = certificate, ClientCertificateRequired = false }, deadline.Token).ConfigureAwait(false);
            return (tls, null);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            return (null, e.Message);
        }
    }
}
