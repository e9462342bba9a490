# Starts Debian's Dovecot in the foreground on 127.0.0.1 and a free port, its passdb and userdb one passwd-file, and
# logs in with Python's imaplib: the real reader that a passwd-file written by New-MailUser must satisfy.
# A port of tests/MailOps.Engine.Tests/TestSupport/DovecotAuthServer.cs.
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1') -Global

function Start-TestDovecot {
    param([Parameter(Mandatory)] [string] $PasswdFile)
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('mailops-pester-dovecot-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $homes = Join-Path $dir 'homes'
    New-Item -ItemType Directory $homes -Force | Out-Null
    # The mail processes run as the dovecot user; it must be able to create homes.
    [IO.File]::SetUnixFileMode($dir, [IO.UnixFileMode][Convert]::ToInt32('755', 8))
    [IO.File]::SetUnixFileMode($homes, [IO.UnixFileMode][Convert]::ToInt32('1777', 8))
    $port = Get-FreePort
    $uid = (& /usr/bin/id -u dovecot).Trim()
    $gid = (& /usr/bin/id -g dovecot).Trim()
    $conf = @"
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $PasswdFile
}
userdb {
  driver = passwd-file
  args = $PasswdFile
  default_fields = uid=$uid gid=$gid home=$homes/%d/%n mail=maildir:~/Maildir
}
"@
    $confPath = Join-Path $dir 'dovecot.conf'
    Set-Content $confPath $conf
    $process = Start-Process /usr/sbin/dovecot -ArgumentList '-F', '-c', $confPath -PassThru `
        -RedirectStandardError (Join-Path $dir 'stderr.log') -RedirectStandardOutput (Join-Path $dir 'stdout.log')
    $deadline = [DateTime]::UtcNow.AddSeconds(15)
    while ($true) {
        if ($process.HasExited) { throw "dovecot exited: $(Get-Content (Join-Path $dir 'stderr.log') -Raw -ErrorAction SilentlyContinue) $(Get-Content (Join-Path $dir 'dovecot.log') -Raw -ErrorAction SilentlyContinue)" }
        $probe = [Net.Sockets.TcpClient]::new()
        try { $probe.Connect([Net.IPAddress]::Loopback, $port); break }
        catch { if ([DateTime]::UtcNow -gt $deadline) { throw 'dovecot did not listen within 15 s' }; Start-Sleep -Milliseconds 100 }
        finally { $probe.Dispose() }
    }
    [pscustomobject]@{ Port = $port; Process = $process; Directory = $dir; ConfigPath = $confPath; LogPath = (Join-Path $dir 'dovecot.log') }
}

function Stop-TestDovecot {
    param($Dovecot)
    if (-not $Dovecot) { return }
    if (-not $Dovecot.Process.HasExited) {
        # doveadm stop lets the master stop its children; killing the master alone would orphan them.
        & /usr/bin/doveadm -c $Dovecot.ConfigPath stop 2>$null
        if (-not $Dovecot.Process.WaitForExit(10000)) { $Dovecot.Process.Kill($true) }
    }
    Remove-Item $Dovecot.Directory -Recurse -Force -ErrorAction SilentlyContinue
}

function Test-ImapLogin {
    # True when an IMAP LOGIN as $User with $Password succeeds against Dovecot (Python's imaplib, a real client).
    param([Parameter(Mandatory)] $Dovecot, [Parameter(Mandatory)] [string] $User, [Parameter(Mandatory)] [string] $Password)
    $script = @'
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
try:
    c.login(sys.argv[2], sys.argv[3])
    c.select("INBOX")
    c.logout()
    print("OK")
except imaplib.IMAP4.error as e:
    print("NO " + str(e))
'@
    $answer = & /usr/bin/python3 -c $script $Dovecot.Port $User $Password
    return ($answer -join '') -eq 'OK'
}

function Wait-ImapLogin {
    # Dovecot notices a changed passwd-file by its time stamp; poll until the login gives the expected answer (up to 5 s).
    param([Parameter(Mandatory)] $Dovecot, [string] $User, [string] $Password, [bool] $Expected)
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    do {
        $result = Test-ImapLogin -Dovecot $Dovecot -User $User -Password $Password
        if ($result -eq $Expected) { return $result }
        Start-Sleep -Milliseconds 250
    } while ([DateTime]::UtcNow -lt $deadline)
    return $result
}

Export-ModuleMember -Function Start-TestDovecot, Stop-TestDovecot, Test-ImapLogin, Wait-ImapLogin
