namespace MailOps.Engine.Configuration;

/// <summary>The server's certificate and private key, both PEM files (like Postfix's smtpd_tls_cert_file and smtpd_tls_key_file).</summary>
/// <param name="CertificatePath">The certificate chain, server certificate first.</param>
/// <param name="KeyPath">The private key (PKCS#8, PKCS#1 or SEC1 PEM); must not be readable by others.</param>
/// <param name="SelfSigned">True when the files were not configured: a self-signed pair is made there on first run (<see cref="MailServerCertificate.EnsureSelfSigned"/>).</param>
public sealed record MailTlsConfig(string CertificatePath, string KeyPath, bool SelfSigned);
