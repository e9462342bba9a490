namespace MailOps.Hosts;

/// <summary>
/// A host that cmdlets taking -Session run their commands on: an SSH connection from New-MailHostSession, or
/// <see cref="Local"/>, this machine, used when no session is given.
/// </summary>
public sealed class MailHostSession
{
    internal MailHostSession(int id, HostConnection connection, string hostName, int port, string userName, bool sudo)
    {
        Id = id;
        Connection = connection;
        HostName = hostName;
        Port = port;
        UserName = userName;
        Sudo = sudo;
    }

    /// <summary>This machine: commands run locally as the current user, without a shell.</summary>
    public static MailHostSession Local { get; } =
        new(0, LocalHostConnection.Instance, "localhost", 0, Environment.UserName, sudo: false);

    /// <summary>The session number, unique in this process; 0 for <see cref="Local"/>.</summary>
    public int Id { get; }

    /// <summary>The host name or address connected to.</summary>
    public string HostName { get; }

    /// <summary>The SSH port; 0 for <see cref="Local"/>.</summary>
    public int Port { get; }

    /// <summary>The user commands run as (before sudo).</summary>
    public string UserName { get; }

    /// <summary>Whether commands run through <c>sudo -n --</c>.</summary>
    public bool Sudo { get; }

    /// <summary>The name every result from this host is stamped with.</summary>
    public string ComputerName => Connection.ComputerName;

    /// <summary>The host key's SHA256 fingerprint as ssh-keygen prints it; null for <see cref="Local"/>.</summary>
    public string? HostKeyFingerprint => (Connection as SshHostConnection)?.HostKey.Fingerprint;

    /// <summary>Opened, Broken or Closed.</summary>
    public MailHostSessionState State => Connection switch
    {
        SshHostConnection { IsClosed: true } => MailHostSessionState.Closed,
        SshHostConnection { IsConnected: false } => MailHostSessionState.Broken,
        _ => MailHostSessionState.Opened,
    };

    /// <summary>Runs the commands: over SSH, or locally.</summary>
    public HostConnection Connection { get; }

    /// <summary>The session as it is named in messages: <c>user@host:port</c>.</summary>
    public override string ToString() => Port == 0 ? ComputerName : $"{UserName}@{HostName}:{Port}";
}
