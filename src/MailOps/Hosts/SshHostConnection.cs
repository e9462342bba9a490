using Renci.SshNet;
using Renci.SshNet.Common;

namespace MailOps.Hosts;

/// <summary>
/// Runs commands on a host over SSH (SSH.NET): each program and argument POSIX-quoted for the remote shell, behind
/// <c>sudo -n --</c> when asked. The host key is checked against known_hosts before authenticating.
/// </summary>
public sealed class SshHostConnection : HostConnection
{
    private readonly SshClient _client;
    private readonly CheckedHostKey _hostKey;
    private bool _disposed;

    private SshHostConnection(SshClient client, CheckedHostKey hostKey, MailHostSessionOptions options)
    {
        _client = client;
        _hostKey = hostKey;
        HostName = options.HostName;
        Port = options.Port;
        UserName = options.UserName;
        Sudo = options.Sudo;
    }

    /// <summary>The host as it was named when connecting.</summary>
    public string HostName { get; }

    /// <summary>The SSH port.</summary>
    public int Port { get; }

    /// <summary>The user logged in as.</summary>
    public string UserName { get; }

    /// <summary>Whether commands run through <c>sudo -n --</c>.</summary>
    public bool Sudo { get; }

    /// <summary>The host key the host presented and known_hosts vouched for.</summary>
    public SshHostKey HostKey => _hostKey.Key ?? throw new InvalidOperationException("Not connected.");

    /// <summary>Whether the SSH connection is up.</summary>
    public bool IsConnected => !_disposed && _client.IsConnected;

    /// <summary>Whether the connection was closed with <see cref="DisposeAsync"/>.</summary>
    public bool IsClosed => _disposed;

    /// <inheritdoc />
    public override string ComputerName => HostName;

    /// <summary>Connects and authenticates; the host key must pass known_hosts first.</summary>
    /// <exception cref="SshHostKeyException">The host key is unknown, changed or revoked.</exception>
    /// <exception cref="SshAuthenticationException">The server refused the key or password.</exception>
    /// <exception cref="SshConnectionException">The connection failed.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The host could not be reached.</exception>
    public static async Task<SshHostConnection> ConnectAsync(MailHostSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var methods = new List<AuthenticationMethod>();
        var keyFiles = options.EffectiveKeyFiles();
        if (keyFiles.Count > 0)
            methods.Add(new PrivateKeyAuthenticationMethod(options.UserName, [.. keyFiles.Select(f => new PrivateKeyFile(f))]));
        if (options.Password is not null) methods.Add(new PasswordAuthenticationMethod(options.UserName, options.Password));
        if (methods.Count == 0)
            throw new ArgumentException("No key file, no password, and no ~/.ssh/id_ed25519, id_ecdsa or id_rsa: give -KeyFilePath or -Credential.", nameof(options));
        var info = new ConnectionInfo(options.HostName, options.Port, options.UserName, [.. methods]) { Timeout = options.ConnectTimeout };
        var knownHosts = new KnownHostsFile(options.KnownHostsPath);
        PreferKnownKeyTypes(info, knownHosts.KnownKeyTypes(options.HostName, options.Port));
        var client = new SshClient(info);
        var hostKey = new CheckedHostKey(knownHosts, options);
        client.HostKeyReceived += hostKey.OnReceived;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout + options.ConnectTimeout);
        try
        {
            await client.ConnectAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception) when (hostKey.Refused is not null)
        {
            client.Dispose();
            throw hostKey.Refused;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new SshOperationTimeoutException($"Connecting to {options.HostName}:{options.Port} took longer than {options.ConnectTimeout}.");
        }
        catch
        {
            client.Dispose();
            throw;
        }
        return new SshHostConnection(client, hostKey, options);
    }

    /// <inheritdoc />
    public override async Task<RunningHostCommand> StartAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // A connection dropped since the session opened is made again; the host key is checked again too.
        if (!_client.IsConnected) await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var ssh = _client.CreateCommand(PosixShell.CommandLine(command, Sudo));
        ssh.CommandTimeout = Timeout.InfiniteTimeSpan;
        var execution = ssh.ExecuteAsync(cancellationToken);
        if (command.Input is { } input)
        {
            // Closing the stream sends EOF: the program sees the end of its input.
            await using var stdin = ssh.CreateInputStream();
            await stdin.WriteAsync(input, cancellationToken).ConfigureAwait(false);
        }
        async Task<(int, string)> Wait(CancellationToken token)
        {
            await execution.WaitAsync(token).ConfigureAwait(false);
            using var error = new StreamReader(ssh.ExtendedOutputStream);
            var text = await error.ReadToEndAsync(token).ConfigureAwait(false);
            return (ssh.ExitStatus ?? -1, text);
        }
        async ValueTask Dispose()
        {
            if (!execution.IsCompleted)
            {
                try { ssh.CancelAsync(forceKill: true); } catch (InvalidOperationException) { }
                try { await execution.ConfigureAwait(false); } catch (Exception) { }
            }
            ssh.Dispose();
        }
        return new RunningHostCommand(command, ssh.OutputStream, Wait, Dispose);
    }

    /// <summary>Disconnects.</summary>
    public override ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            try { _client.Disconnect(); } catch (Exception) { }
            _client.Dispose();
        }
        return base.DisposeAsync();
    }

    // Like ssh: when known_hosts has keys of some types for the host, ask the server for those types only, so a
    // server cannot present a key of another, unrecorded type. Host certificates are not offered (not supported).
    private static void PreferKnownKeyTypes(ConnectionInfo info, IReadOnlySet<string> knownTypes)
    {
        static string KeyTypeOf(string algorithm) => algorithm is "rsa-sha2-512" or "rsa-sha2-256" ? "ssh-rsa" : algorithm;
        foreach (var algorithm in info.HostKeyAlgorithms.Keys.ToList())
        {
            var certificate = algorithm.Contains("-cert-", StringComparison.Ordinal);
            if (certificate || (knownTypes.Count > 0 && !knownTypes.Contains(KeyTypeOf(algorithm))))
                info.HostKeyAlgorithms.Remove(algorithm);
        }
    }

    // The HostKeyReceived handler: checks the key and remembers why it was refused.
    private sealed class CheckedHostKey(KnownHostsFile knownHosts, MailHostSessionOptions options)
    {
        public SshHostKey? Key { get; private set; }

        public SshHostKeyException? Refused { get; private set; }

        public void OnReceived(object? sender, HostKeyEventArgs e)
        {
            var key = new SshHostKey(e.HostKey);
            try
            {
                // Once connected, a reconnection must find the same key: accepting new keys is for the first connection only.
                if (Key is not null && !Key.Equals(key))
                    throw new SshHostKeyException(SshHostKeyProblem.Mismatch, KnownHostsFile.HostEntryName(options.HostName, options.Port), key, knownHosts.Path);
                knownHosts.Check(options.HostName, options.Port, key, options.AcceptNewHostKey && Key is null);
                Key = key;
                e.CanTrust = true;
            }
            catch (SshHostKeyException refused)
            {
                Refused = refused;
                e.CanTrust = false;
            }
        }
    }
}
