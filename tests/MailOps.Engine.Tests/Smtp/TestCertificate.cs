using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailOps.Engine.Tests.Smtp;

/// <summary>A self-signed certificate for "localhost", made once per test run.</summary>
public static class TestCertificate
{
    private static readonly Lazy<X509Certificate2> Instance = new(Create);

    /// <summary>The certificate, with its private key.</summary>
    public static X509Certificate2 Localhost => Instance.Value;

    private static X509Certificate2 Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // SslStream on Linux wants a key it can export into its own context: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
