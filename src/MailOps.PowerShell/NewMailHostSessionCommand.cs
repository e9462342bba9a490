using System.Management.Automation;
using System.Net;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>New-MailHostSession: opens SSH sessions to mail hosts, one per host, checking host keys against known_hosts.</summary>
[Cmdlet(VerbsCommon.New, "MailHostSession", DefaultParameterSetName = KeySet)]
[OutputType(typeof(MailHostSession))]
public sealed class NewMailHostSessionCommand : PSCmdlet
{
    private const string KeySet = "Key";
    private const string PasswordSet = "Password";
    private readonly List<string> _hostNames = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The hosts to connect to; one session each.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("ComputerName")]
    public string[] HostName { get; set; } = [];

    /// <summary>The SSH port.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    /// <summary>The user to log in as; the current user (or the credential's) by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>Private key files; the user's ~/.ssh/id_ed25519, id_ecdsa, id_rsa by default.</summary>
    [Parameter(ParameterSetName = KeySet)]
    [ValidateNotNullOrEmpty]
    public string[]? KeyFilePath { get; set; }

    /// <summary>A user name and password to log in with instead of a key.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PasswordSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>The known_hosts file; ~/.ssh/known_hosts by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KnownHostsPath { get; set; }

    /// <summary>Trust and record the key of a host not in known_hosts at all (a changed key is still refused).</summary>
    [Parameter]
    public SwitchParameter AcceptNewHostKey { get; set; }

    /// <summary>Run the session's commands through <c>sudo -n --</c>.</summary>
    [Parameter]
    public SwitchParameter Sudo { get; set; }

    /// <summary>Seconds connecting and the SSH handshake may take.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int ConnectTimeout { get; set; } = 15;

    /// <inheritdoc />
    protected override void ProcessRecord() => _hostNames.AddRange(HostName);

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var knownHosts = KnownHostsPath is null ? KnownHostsFile.DefaultPath : SessionState.Path.GetUnresolvedProviderPathFromPSPath(KnownHostsPath);
        var keys = (KeyFilePath ?? []).Select(SessionState.Path.GetUnresolvedProviderPathFromPSPath).ToArray();
        var user = UserName ?? Credential?.UserName ?? Environment.UserName;
        var password = Credential?.GetNetworkCredential().Password;
        var hosts = _hostNames.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        WriteVerbose($"Connecting to {string.Join(", ", hosts)} on port {Port} as {user}; host keys checked against {knownHosts}.");
        new HostFanOut(this, 32, _stopping.Token).Run(
            hosts,
            (host, token) => OpenMailHostSessions.OpenAsync(new MailHostSessionOptions
            {
                HostName = host,
                Port = Port,
                UserName = user,
                KeyFilePaths = keys,
                Password = password,
                KnownHostsPath = knownHosts,
                AcceptNewHostKey = AcceptNewHostKey,
                Sudo = Sudo,
                ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeout),
            }, token),
            (_, session) => WriteObject(session),
            host => host);
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stopping.Cancel();
}
