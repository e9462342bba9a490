namespace MailOps.Hosts;

/// <summary>Why a host key was refused.</summary>
public enum SshHostKeyProblem
{
    /// <summary>known_hosts has no key for the host (and accepting new keys was not asked for).</summary>
    Unknown,
    /// <summary>known_hosts has a different key for the host: it changed, or someone is in between.</summary>
    Mismatch,
    /// <summary>known_hosts marks the key @revoked.</summary>
    Revoked,
}
