namespace MailOps.Hosts;

/// <summary>How to reach one host over SSH: address, user, key or password, known_hosts policy, sudo.</summary>
public sealed class MailHostSessionOptions
{
    /// <summary>The host name or address to connect to.</summary>
    public required string HostName { get; init; }

    /// <summary>The SSH port; 22 by default.</summary>
    public int Port { get; init; } = 22;

    /// <summary>The user to log in as; the current user by default.</summary>
    public string UserName { get; init; } = Environment.UserName;

    /// <summary>Private key files (OpenSSH or PEM format) to authenticate with; when neither these nor a password are given, ~/.ssh/id_ed25519, id_ecdsa and id_rsa that exist.</summary>
    public IReadOnlyList<string> KeyFilePaths { get; init; } = [];

    /// <summary>A password to authenticate with instead of a key.</summary>
    public string? Password { get; init; }

    /// <summary>The known_hosts file the host key is checked against; ~/.ssh/known_hosts by default.</summary>
    public string KnownHostsPath { get; init; } = KnownHostsFile.DefaultPath;

    /// <summary>Trust and record the key of a host that known_hosts does not list at all (StrictHostKeyChecking=accept-new).</summary>
    public bool AcceptNewHostKey { get; init; }

    /// <summary>Run every command through <c>sudo -n --</c> (never prompting; sudo must allow it without a password).</summary>
    public bool Sudo { get; init; }

    /// <summary>How long connecting and the SSH handshake may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The key files to use: the ones given, or the user's default identities that exist.</summary>
    internal IReadOnlyList<string> EffectiveKeyFiles()
    {
        if (KeyFilePaths.Count > 0 || Password is not null) return KeyFilePaths;
        var ssh = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
        return [.. new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(ssh, n)).Where(File.Exists)];
    }
}
