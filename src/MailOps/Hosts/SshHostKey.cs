using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MailOps.Hosts;

/// <summary>An SSH host public key: its type, the key blob in SSH wire format, and its fingerprint as ssh-keygen prints it.</summary>
public sealed class SshHostKey : IEquatable<SshHostKey>
{
    /// <summary>Creates the key from its SSH wire-format blob (RFC 4253 6.6), whose first string is the key type.</summary>
    /// <exception cref="FormatException">The blob does not start with a key type.</exception>
    public SshHostKey(byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        Blob = blob;
        KeyType = ReadKeyType(blob);
    }

    /// <summary>The key type: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ...</summary>
    public string KeyType { get; }

    /// <summary>The public key in SSH wire format, as known_hosts holds it in base64.</summary>
    public byte[] Blob { get; }

    /// <summary>The fingerprint <c>SHA256:</c> and the unpadded base64 of the blob's SHA-256, as <c>ssh-keygen -l</c> prints it.</summary>
    public string Fingerprint => "SHA256:" + Convert.ToBase64String(SHA256.HashData(Blob)).TrimEnd('=');

    /// <summary>The key as known_hosts writes it after the host: type and base64 blob.</summary>
    public override string ToString() => $"{KeyType} {Convert.ToBase64String(Blob)}";

    /// <inheritdoc />
    public bool Equals(SshHostKey? other) => other is not null && Blob.AsSpan().SequenceEqual(other.Blob);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SshHostKey);

    /// <inheritdoc />
    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(SHA256.HashData(Blob));

    // RFC 4251 5: a string is a uint32 length and that many bytes.
    private static string ReadKeyType(byte[] blob)
    {
        if (blob.Length < 4) throw new FormatException("The host key blob is too short.");
        var length = BinaryPrimitives.ReadUInt32BigEndian(blob);
        if (length == 0 || length > 64 || 4 + length > blob.Length) throw new FormatException("The host key blob has no key type.");
        return Encoding.ASCII.GetString(blob, 4, (int)length);
    }
}
