using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Configuration;

/// <summary>Makes and checks the server's TLS certificate and key files.</summary>
public static class MailServerCertificate
{
    /// <summary>
    /// Makes the self-signed pair at <paramref name="tls"/>'s paths if it is marked self-signed and either file is missing.
    /// </summary>
    /// <returns>True when a new pair was written.</returns>
    public static bool EnsureSelfSigned(MailTlsConfig tls, string hostname)
    {
        if (!tls.SelfSigned || (File.Exists(tls.CertificatePath) && File.Exists(tls.KeyPath))) return false;
        // A half pair (one file lost) is useless: make both anew.
        if (File.Exists(tls.CertificatePath)) File.Delete(tls.CertificatePath);
        if (File.Exists(tls.KeyPath)) File.Delete(tls.KeyPath);
        CreateSelfSigned(tls.CertificatePath, tls.KeyPath, hostname);
        return true;
    }

    /// <summary>
    /// Writes a self-signed ECDSA P-256 certificate for <paramref name="hostname"/>, localhost, 127.0.0.1 and ::1
    /// (PEM, mode 0644) and its PKCS#8 key (PEM, created with mode 0600, never wider even for an instant).
    /// </summary>
    /// <exception cref="IOException">Either file already exists.</exception>
    public static void CreateSelfSigned(string certificatePath, string keyPath, string hostname)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostname}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostname);
        if (hostname != "localhost") names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        // 825 days: the longest lifetime clients such as Apple's still accept for a server certificate.
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(825));

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyPath))!);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(certificatePath))!);
        Write(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Write(certificatePath, certificate.ExportCertificatePem() + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static void Write(string path, string text, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>
    /// Why the pair cannot be used, or nothing when it can: a file missing or unreadable, not PEM, a key that does not
    /// match the certificate, or a key others can read (it must be 0600, or 0640 with group root, as Postfix's
    /// TLS_README asks of smtpd_tls_key_file).
    /// </summary>
    /// <returns>(which file: "certificatePath" or "keyPath", reason) for each problem.</returns>
    public static IEnumerable<(string Setting, string Reason)> Check(string certificatePath, string keyPath)
    {
        var certText = ReadText(certificatePath, "certificate", out var certProblem);
        if (certProblem is not null) yield return ("certificatePath", certProblem);
        var keyText = ReadText(keyPath, "key", out var keyProblem);
        if (keyProblem is not null) yield return ("keyPath", keyProblem);
        if (keyText is not null && !OperatingSystem.IsWindows() && KeyExposure(keyPath) is { } exposure) yield return ("keyPath", exposure);
        if (certText is not null)
        {
            X509Certificate2? certificate = null;
            string? notPem = null;
            try { certificate = X509Certificate2.CreateFromPem(certText); }
            catch (CryptographicException e) { notPem = $"'{certificatePath}' is not a PEM certificate: {e.Message}"; }
            if (notPem is not null) yield return ("certificatePath", notPem);
            if (certificate is not null && keyText is not null)
            {
                string? mismatch = null;
                if (!HasPemPrivateKey(keyText)) mismatch = $"'{keyPath}' holds no PEM private key.";
                else
                {
                    try { using var pair = X509Certificate2.CreateFromPem(certText, keyText); }
                    catch (Exception e) when (e is ArgumentException or CryptographicException)
                    { mismatch = $"'{keyPath}' does not match the certificate in '{certificatePath}': {e.Message}"; }
                }
                if (mismatch is not null) yield return ("keyPath", mismatch);
            }
            certificate?.Dispose();
        }
    }

    private static bool HasPemPrivateKey(string text)
    {
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].EndsWith("PRIVATE KEY", StringComparison.Ordinal)) return true;
            rest = rest[fields.Location.End..];
        }
        return false;
    }

    private static string? ReadText(string path, string what, out string? problem)
    {
        problem = null;
        if (!File.Exists(path)) { problem = $"the {what} file '{path}' does not exist."; return null; }
        try { return File.ReadAllText(path); }
        catch (UnauthorizedAccessException) { problem = $"the {what} file '{path}' cannot be read by this user."; }
        catch (IOException e) { problem = $"the {what} file '{path}' cannot be read: {e.Message}"; }
        return null;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string? KeyExposure(string keyPath)
    {
        var mode = File.GetUnixFileMode(keyPath);
        var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
        if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            return $"the private key '{keyPath}' has mode {octal}, readable by every user; run chmod 600 '{keyPath}'.";
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.GroupExecute)) != 0)
            return $"the private key '{keyPath}' has mode {octal}, writable by its group; run chmod 600 '{keyPath}'.";
        if ((mode & UnixFileMode.GroupRead) != 0 && GroupOf(keyPath) is var gid && gid != 0)
            return $"the private key '{keyPath}' has mode {octal} and group id {gid?.ToString() ?? "unknown"}, so that group can read it; use chmod 600, or group root with 640.";
        return null;
    }

    // The owning group, which .NET does not expose; null off Linux or when stat fails (the message then says "unknown").
    private static uint? GroupOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return Posix.Stat(path, followSymlinks: true)?.Gid;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
