namespace MailOps.Engine.Configuration;

/// <summary>One DKIM signing key: mail from <paramref name="Domain"/> is signed with it (a domain may have several, RSA and Ed25519, RFC 8463).</summary>
/// <param name="Domain">The signing domain d=, lower case; mail whose From: domain is this one is signed.</param>
/// <param name="Selector">The selector s= under which the public key is published.</param>
/// <param name="PrivateKeyPath">The PEM private key (PKCS#8 RSA or Ed25519, as New-DkimKey writes it).</param>
/// <param name="KeyType">"rsa" or "ed25519", read from the key file.</param>
public sealed record MailDkimKeyConfig(string Domain, string Selector, string PrivateKeyPath, string KeyType);
