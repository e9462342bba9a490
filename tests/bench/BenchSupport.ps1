# What the benchmarks under tests/bench share: the checks every script starts with, /proc readers, process starters,
# and the three servers they drive (the bundled MailOps server in its own pwsh process, a private Postfix instance,
# Postfix's smtp-sink). Dot-source it at the top of a benchmark script whose parameters include $ModulePath,
# $OutputDirectory, $SizeKiB and $Count; it sets $RepoRoot, $SmtpSource, $SmtpSinkExe, $PwshExe, $PwshArgs and $Started
# (what Stop-Everything stops), and its functions use the script's $Domain and $MemorySampleMs.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

if ($SizeKiB.Count -ne $Count.Count) { throw "-SizeKiB and -Count must have the same number of entries." }
$ModulePath = (Resolve-Path $ModulePath).Path
$OutputDirectory = [IO.Path]::GetFullPath($OutputDirectory)
$RepoRoot = Split-Path $ModulePath
if (-not (Test-Path (Join-Path $RepoRoot 'module/bin/MailOps.PowerShell.dll'))) { throw "MailOps is not built: run 'dotnet pwsh ./build.ps1 Build' first." }
$SmtpSource = '/usr/sbin/smtp-source'
$SmtpSinkExe = '/usr/sbin/smtp-sink'
foreach ($exe in $SmtpSource, $SmtpSinkExe) { if (-not (Test-Path $exe)) { throw "$exe is missing (apt-get install postfix)." } }
# How to start a pwsh that is itself the server process: this pwsh's own host and, under the dotnet muxer, its pwsh.dll.
$PwshExe = [Environment]::ProcessPath
$PwshArgs = if ([IO.Path]::GetFileName($PwshExe) -eq 'dotnet') { @([System.Reflection.Assembly]::GetEntryAssembly().Location) } else { @() }
$Started = [System.Collections.Generic.List[object]]::new()   # what to stop in finally: @{Kind; Process or Dir}

function Read-ProcStatus([int] $ProcessId) {
    # VmHWM/VmRSS in KiB and PPid of one process, or $null when it is gone.
    try { $text = [IO.File]::ReadAllText("/proc/$ProcessId/status") } catch { return $null }
    $r = @{ Pid = $ProcessId; PPid = 0; VmHWM = 0L; VmRSS = 0L }
    foreach ($line in $text -split "`n") {
        if ($line -match '^(PPid|VmHWM|VmRSS):\s+(\d+)') { $r[$Matches[1]] = [long]$Matches[2] }
    }
    return $r
}

function Read-Pss([int] $ProcessId) {
    # Proportional set size in KiB (shared pages divided among the processes sharing them), or 0.
    try { $text = [IO.File]::ReadAllText("/proc/$ProcessId/smaps_rollup") } catch { return 0L }
    if ($text -match '(?m)^Pss:\s+(\d+)') { return [long]$Matches[1] }
    return 0L
}

function Get-Descendants([int] $Root) {
    # The process and all its descendants, from /proc.
    $parents = @{}
    foreach ($dir in [IO.Directory]::GetDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$dir/stat") } catch { continue }
        # pid (comm) state ppid ...; comm may hold spaces and parentheses, so split after the last ')'.
        $rest = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        $parents[[int]$name] = [int]$rest[1]
    }
    $children = @{}
    foreach ($kv in $parents.GetEnumerator()) {
        if (-not $children.ContainsKey($kv.Value)) { $children[$kv.Value] = [System.Collections.Generic.List[int]]::new() }
        $children[$kv.Value].Add($kv.Key)
    }
    $result = [System.Collections.Generic.List[int]]::new(); $result.Add($Root)
    for ($i = 0; $i -lt $result.Count; $i++) {
        if ($children.ContainsKey($result[$i])) { $result.AddRange($children[$result[$i]]) }
    }
    return $result
}

function Wait-Port([int] $Port, [int] $TimeoutSeconds = 60) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $Port); return } catch { Start-Sleep -Milliseconds 100 } finally { $client.Dispose() }
    }
    throw "Nothing listens on 127.0.0.1:$Port after $TimeoutSeconds s."
}

function Get-FileCount([string] $Dir) {
    if (-not [IO.Directory]::Exists($Dir)) { return 0 }
    $n = 0
    foreach ($f in [IO.Directory]::EnumerateFiles($Dir)) { $n++ }
    return $n
}

function Start-Native([string] $File, [string[]] $Arguments, [string] $LogBase) {
    $p = Start-Process -FilePath $File -ArgumentList $Arguments -PassThru -NoNewWindow `
        -RedirectStandardOutput "$LogBase.out" -RedirectStandardError "$LogBase.err"
    $null = $p.Handle   # keeps the handle, so ExitCode is available after exit
    return $p
}

function Invoke-SmtpSource([int] $Port, [int] $Messages, [int] $SessionCount, [int] $Bytes, [string] $To, [string] $LogBase) {
    # smtp-source: -m messages in total over -s parallel sessions, -l payload bytes, one recipient each.
    $p = Start-Native $SmtpSource @('-s', $SessionCount, '-m', $Messages, '-l', $Bytes, '-f', "sender@$Domain", '-t', $To,
        '-M', 'client.bench.test', "127.0.0.1:$Port") $LogBase
    $Started.Add(@{ Kind = 'Process'; Process = $p })   # killed with the cell when it times out
    return $p
}

function Wait-Delivery([string] $NewDir, [int] $Expected, [DateTime] $Deadline, [System.Diagnostics.Process] $Source, [scriptblock] $Sample) {
    # Polls Maildir/new until it holds $Expected files; also notes when smtp-source exits. Returns the times seen.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $sourceDone = $null; $nextSample = 0
    while ($true) {
        if ($null -eq $sourceDone -and $Source.HasExited) { $sourceDone = $sw.Elapsed.TotalSeconds }
        if ($NewDir) { if ((Get-FileCount $NewDir) -ge $Expected) { break } }
        elseif ($null -ne $sourceDone) { break }
        if ($Sample -and $sw.ElapsedMilliseconds -ge $nextSample) { & $Sample; $nextSample = $sw.ElapsedMilliseconds + $MemorySampleMs }
        if ([DateTime]::UtcNow -gt $Deadline) { return @{ TimedOut = $true; Seconds = $sw.Elapsed.TotalSeconds; SourceSeconds = $sourceDone } }
        Start-Sleep -Milliseconds 20
    }
    $total = $sw.Elapsed.TotalSeconds
    if ($null -eq $sourceDone) { $Source.WaitForExit(); $sourceDone = $sw.Elapsed.TotalSeconds }
    if ($Sample) { & $Sample }
    return @{ TimedOut = $false; Seconds = $total; SourceSeconds = $sourceDone }
}

# What a long-running MailOps server should run with (docs/Start-MailServer.md, "Running as a service"): .NET's
# profile-guided tiering (instrumented tier before tier 1) kept the JIT busy for thousands of messages, ~1.5x the CPU
# per 64 KiB message in Measure-SmtpServerCost.ps1.
$ServiceEnvironment = @{ DOTNET_TieredPGO = '0' }

function Start-MailOpsProcess([string] $Dir, [int] $Port, [hashtable] $Settings) {
    # The bundled server with a configuration of $Settings (hostname, domains, listeners, limits, users and
    # aliases files, data and log paths are filled in unless given), in a pwsh process of its own. Returns the process.
    New-Item -ItemType Directory -Force $Dir | Out-Null
    $config = [ordered]@{
        hostname    = "mailops.$Domain"
        domains     = @($Domain)
        listeners   = @(@{ kind = 'Mta'; address = "127.0.0.1:$Port" })
        # The same raised per-client limit as Postfix's below, so 50 sessions from one address are not refused.
        limits      = @{ maxConnections = 500; maxConnectionsPerClient = 500 }
        usersFile   = (Join-Path $Dir 'users.passwd')
        aliasesFile = (Join-Path $Dir 'virtual')
        dataPath    = (Join-Path $Dir 'data')
        logPath     = (Join-Path $Dir 'mail.log')
    }
    foreach ($key in $Settings.Keys) { $config[$key] = $Settings[$key] }
    if (-not (Test-Path $config.usersFile)) { Set-Content $config.usersFile -Value '' }
    if (-not (Test-Path $config.aliasesFile)) { Set-Content $config.aliasesFile -Value '' }
    $path = Join-Path $Dir 'mailops.json'
    $config | ConvertTo-Json -Depth 5 | Set-Content $path
    $command = "Import-Module '$ModulePath'; Start-MailServer -ConfigPath '$path' -Foreground"
    # The pwsh.dll this script runs in, started directly with dotnet: one process, whose VmHWM is the server's.
    # (`dotnet pwsh` would put a muxer and the tool shim in front of it.)
    # The service environment docs/Start-MailServer.md recommends (DOTNET_TieredPGO=0); $MailOpsEnvironment = @{} in
    # the calling script measures .NET's defaults instead.
    $environment = if (Test-Path variable:MailOpsEnvironment) { $MailOpsEnvironment } else { $ServiceEnvironment }
    $saved = @{}
    foreach ($name in $environment.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $environment[$name]) }
    try {
        $process = Start-Process -FilePath $PwshExe -ArgumentList (@($PwshArgs) + @('-NoProfile', '-NonInteractive', '-Command', $command)) `
            -WorkingDirectory $RepoRoot -PassThru -NoNewWindow -RedirectStandardOutput (Join-Path $Dir 'server.out') -RedirectStandardError (Join-Path $Dir 'server.err')
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
    $Started.Add(@{ Kind = 'Process'; Process = $process })
    try { Wait-Port $Port 90 }
    catch { throw "MailOps did not start: $(Get-Content (Join-Path $Dir 'server.err') -Raw)" }
    return $process
}

function Start-PostfixInstance([string] $Dir, [int] $Port, [string] $MainCf) {
    # A private Postfix (postfix -c <Dir>/etc) with its own queue and data directory, smtpd on 127.0.0.1:$Port and
    # $MainCf appended to the common main.cf. Returns the master's pid, the config and the queue directory.
    New-Item -ItemType Directory -Force $Dir | Out-Null
    $conf = New-Item -ItemType Directory -Force (Join-Path $Dir 'etc')
    $queue = Join-Path $Dir 'queue'; $data = Join-Path $Dir 'data'
    New-Item -ItemType Directory -Force $queue, $data | Out-Null
    & chown postfix $data
    @"
compatibility_level = 3.6
queue_directory = $queue
data_directory = $data
mail_owner = postfix
myhostname = postfix.$Domain
mydomain = $Domain
myorigin = $Domain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file_prefixes = $Dir
maillog_file = $Dir/maillog
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_client_connection_count_limit = 500
$MainCf
"@ | Set-Content (Join-Path $conf 'main.cf')
    # Debian's services, all with chroot n, and smtpd on our port only.
    @"
127.0.0.1:$Port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"@ | Set-Content (Join-Path $conf 'master.cf')
    $Started.Add(@{ Kind = 'Postfix'; Dir = $conf.FullName })
    $out = & postfix -c $conf.FullName start 2>&1
    if ($LASTEXITCODE -ne 0) { throw "postfix start failed: $out" }
    Wait-Port $Port 30
    $masterPid = [int]((& cat (Join-Path $queue 'pid/master.pid')) -join '').Trim()   # cat: .NET's read would respect the master's lock
    return @{ MasterPid = $masterPid; Conf = $conf.FullName; Queue = $queue }
}

# The two servers the SMTP benchmarks compare, each with the mailboxes $Recipient and $WarmRecipient (script variables).
function Start-MailOpsServer([string] $Dir, [int] $Port) {
    New-Item -ItemType Directory -Force $Dir | Out-Null
    $users = Join-Path $Dir 'users.passwd'
    # Dovecot passwd-file lines; the password is never used (smtp-source does not authenticate).
    Set-Content $users -Value @("${Recipient}:{PLAIN}x::::::", "${WarmRecipient}:{PLAIN}x::::::")
    $process = Start-MailOpsProcess $Dir $Port @{ usersFile = $users }
    $mail = Join-Path $Dir "data/mail/$Domain"
    return @{
        Process = $process
        NewDir  = Join-Path $mail 'bench/Maildir/new'
        WarmDir = Join-Path $mail 'warm/Maildir/new'
    }
}

function Start-PostfixServer([string] $Dir, [int] $Port) {
    $mail = Join-Path $Dir 'mail'
    New-Item -ItemType Directory -Force $mail | Out-Null
    # virtual(8) writes as this uid; 'nobody' owns the mailbox base (virtual_minimum_uid is 100).
    & chown 65534:65534 $mail
    $p = Start-PostfixInstance $Dir $Port @"
virtual_mailbox_domains = $Domain
virtual_mailbox_base = $mail
virtual_mailbox_maps = inline:{ $Recipient=$Domain/bench/Maildir/, $WarmRecipient=$Domain/warm/Maildir/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
"@
    return @{
        MasterPid = $p.MasterPid
        NewDir    = Join-Path $mail "$Domain/bench/Maildir/new"
        WarmDir   = Join-Path $mail "$Domain/warm/Maildir/new"
        Conf      = $p.Conf
    }
}

function Start-SmtpSinkServer([string] $Dir, [int] $Port, [string[]] $ExtraArguments = @()) {
    New-Item -ItemType Directory -Force $Dir | Out-Null
    # -u postfix: drop root after binding (smtp-sink's own default when root).
    $process = Start-Native $SmtpSinkExe (@('-u', 'postfix') + $ExtraArguments + @("127.0.0.1:$Port", '256')) (Join-Path $Dir 'sink')
    $Started.Add(@{ Kind = 'Process'; Process = $process })
    Wait-Port $Port 30
    return @{
        Process = $process; NewDir = $null; WarmDir = $null
    }
}

function Stop-Everything {
    foreach ($item in $Started) {
        try {
            if ($item.Kind -eq 'Postfix') { & postfix -c $item.Dir stop 2>&1 | Out-Null }
            elseif (-not $item.Process.HasExited) { $item.Process.Kill($true); $item.Process.WaitForExit(10000) | Out-Null }
        }
        catch { Write-Warning "Stopping $($item.Kind): $_" }
    }
    $Started.Clear()
}
