namespace MailOps.Hosts;

/// <summary>A host's SSH key was refused: unknown, changed or revoked. The connection was closed before authenticating.</summary>
public sealed class SshHostKeyException : Exception
{
    /// <summary>Creates the exception for <paramref name="host"/> (as known_hosts names it) presenting <paramref name="key"/>.</summary>
    public SshHostKeyException(SshHostKeyProblem problem, string host, SshHostKey key, string knownHostsPath)
        : base(Describe(problem, host, key, knownHostsPath))
    {
        Problem = problem;
        Host = host;
        Key = key;
        KnownHostsPath = knownHostsPath;
    }

    /// <summary>Unknown, changed or revoked.</summary>
    public SshHostKeyProblem Problem { get; }

    /// <summary>The host as known_hosts names it: <c>name</c>, or <c>[name]:port</c> for a port other than 22.</summary>
    public string Host { get; }

    /// <summary>The key the host presented.</summary>
    public SshHostKey Key { get; }

    /// <summary>The known_hosts file checked.</summary>
    public string KnownHostsPath { get; }

    private static string Describe(SshHostKeyProblem problem, string host, SshHostKey key, string path) => problem switch
    {
        SshHostKeyProblem.Unknown =>
            $"The {key.KeyType} host key of {host} ({key.Fingerprint}) is not in {path}. Check the fingerprint, then connect once with -AcceptNewHostKey.",
        SshHostKeyProblem.Mismatch =>
            $"The host key of {host} has changed: it presented {key.KeyType} {key.Fingerprint}, which does not match {path}. Someone may be intercepting the connection, or the host was reinstalled; remove the old key (ssh-keygen -R) only after checking.",
        _ => $"The {key.KeyType} host key of {host} ({key.Fingerprint}) is marked @revoked in {path}.",
    };
}
