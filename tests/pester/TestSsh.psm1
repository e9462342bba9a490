# Starts Debian's OpenSSH sshd in the foreground on a loopback address and a free port, with host keys made for this
# run, one authorized client key, and a known_hosts file holding the server's ed25519 key.
# A port of tests/MailOps.Tests/TestSupport/SshServer.cs.
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1') -Global

function Start-TestSsh {
    # -ExtraConfig: more sshd_config lines, e.g. 'SetEnv MAIL_CONFIG=/dir' so that this "host" has its own default Postfix.
    param([string] $Address = '127.0.0.1', [string[]] $ExtraConfig = @())
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('mailops-pester-sshd-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $dir -Force | Out-Null
    New-Item -ItemType Directory /run/sshd -Force | Out-Null
    foreach ($type in 'ed25519', 'ecdsa', 'rsa') {
        & ssh-keygen -q -t $type -N '' -C "host-$type" -f (Join-Path $dir "ssh_host_${type}_key")
    }
    $clientKey = Join-Path $dir 'client_key'
    & ssh-keygen -q -t ed25519 -N '' -C 'mailops-pester' -f $clientKey
    Copy-Item "$clientKey.pub" (Join-Path $dir 'authorized_keys')
    $port = Get-FreePort -Address $Address
    @"
Port $port
ListenAddress $Address
HostKey $dir/ssh_host_ed25519_key
HostKey $dir/ssh_host_ecdsa_key
HostKey $dir/ssh_host_rsa_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
LogLevel VERBOSE
$($ExtraConfig -join "`n")
"@ | Set-Content (Join-Path $dir 'sshd_config')
    $hostKey = (Get-Content (Join-Path $dir 'ssh_host_ed25519_key.pub')).Split(' ')
    $knownHosts = Join-Path $dir 'known_hosts'
    "[$Address]:$port $($hostKey[0]) $($hostKey[1])" | Set-Content $knownHosts
    $process = Start-Process /usr/sbin/sshd -ArgumentList '-D', '-f', (Join-Path $dir 'sshd_config'), '-E', (Join-Path $dir 'sshd.log') -PassThru
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        $client = [Net.Sockets.TcpClient]::new()
        try { $client.Connect($Address, $port); break }
        catch {
            if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "sshd did not start: $(Get-Content (Join-Path $dir 'sshd.log') -Raw -ErrorAction SilentlyContinue)" }
            Start-Sleep -Milliseconds 100
        }
        finally { $client.Dispose() }
    }
    $fingerprint = (& ssh-keygen -l -E sha256 -f (Join-Path $dir 'ssh_host_ed25519_key.pub')).Split(' ')[1]
    [pscustomobject]@{
        Address     = $Address
        Port        = $port
        Directory   = $dir
        ClientKey   = $clientKey
        KnownHosts  = $knownHosts
        Fingerprint = $fingerprint
        Process     = $process
    }
}

function Stop-TestSsh {
    param($Server)
    if (-not $Server) { return }
    if (-not $Server.Process.HasExited) { $Server.Process.Kill($true); $Server.Process.WaitForExit(10000) | Out-Null }
    Remove-Item $Server.Directory -Recurse -Force -ErrorAction SilentlyContinue
}

Export-ModuleMember -Function Start-TestSsh, Stop-TestSsh
