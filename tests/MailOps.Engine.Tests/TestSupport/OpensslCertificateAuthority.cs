using System.Security.Cryptography.X509Certificates;

namespace MailOps.Engine.Tests.TestSupport;

/// <summary>A server certificate issued by <see cref="OpensslCertificateAuthority"/>: PEM files and the loaded certificate.</summary>
/// <param name="CertificatePath">The certificate (PEM).</param>
/// <param name="KeyPath">Its private key (PEM, unencrypted).</param>
/// <param name="Certificate">The certificate with its private key, for .NET servers.</param>
public sealed record IssuedCertificate(string CertificatePath, string KeyPath, X509Certificate2 Certificate);

/// <summary>A throw-away certificate authority made with the openssl command, as an admin would make a private one.</summary>
public sealed class OpensslCertificateAuthority : IDisposable
{
    private OpensslCertificateAuthority(string directory, X509Certificate2 root)
    {
        Directory = directory;
        Root = root;
    }

    /// <summary>Where the keys and certificates are.</summary>
    public string Directory { get; }
    /// <summary>The CA certificate.</summary>
    public X509Certificate2 Root { get; }
    /// <summary>The CA certificate's PEM file.</summary>
    public string RootPath => Path.Combine(Directory, "ca.crt");
    /// <summary>The root as a trust store.</summary>
    public X509Certificate2Collection TrustStore => [X509CertificateLoader.LoadCertificate(Root.RawData)];

    /// <summary>Makes the CA (P-256, 30 days).</summary>
    public static async Task<OpensslCertificateAuthority> CreateAsync(string name = "MailOps probe test CA")
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("mailops-ca-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        await OpensslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", Path.Combine(dir, "ca.key"), "-out", Path.Combine(dir, "ca.crt"), "-days", "30", "-subj", $"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new OpensslCertificateAuthority(dir, X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, "ca.crt")));
    }

    /// <summary>
    /// Issues a TLS server certificate for <paramref name="dnsName"/> (and <paramref name="ipAddress"/> when given), valid for
    /// <paramref name="days"/> days from now.
    /// </summary>
    public async Task<IssuedCertificate> IssueAsync(string dnsName, int days = 30, string? ipAddress = null)
    {
        var stem = Path.Combine(Directory, dnsName + "-" + Guid.NewGuid().ToString("N")[..6]);
        var names = $"DNS:{dnsName}" + (ipAddress is null ? "" : $",IP:{ipAddress}");
        await File.WriteAllTextAsync(stem + ".ext", $"subjectAltName={names}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
        await OpensslAsync("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", stem + ".key", "-out", stem + ".csr", "-subj", $"/CN={dnsName}");
        await OpensslAsync("x509", "-req", "-in", stem + ".csr", "-CA", RootPath, "-CAkey", Path.Combine(Directory, "ca.key"),
            "-CAcreateserial", "-out", stem + ".crt", "-days", days.ToString(System.Globalization.CultureInfo.InvariantCulture), "-extfile", stem + ".ext");
        // Dovecot's and Postfix's unprivileged processes may read the files too.
        File.SetUnixFileMode(stem + ".key", (UnixFileMode)0b110_100_100);
        using var pem = X509Certificate2.CreateFromPemFile(stem + ".crt", stem + ".key");
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        return new IssuedCertificate(stem + ".crt", stem + ".key", certificate);
    }

    private static async Task OpensslAsync(params string[] arguments)
    {
        var (code, output, error) = await ExternalProgram.RunAsync("openssl", arguments);
        if (code != 0) throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed ({code}): {output}{error}");
    }

    /// <summary>Removes the files.</summary>
    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
