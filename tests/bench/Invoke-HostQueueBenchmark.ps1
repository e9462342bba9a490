#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Host queue benchmark: Get-MailQueue -Session across many hosts at once vs `ssh host postqueue -j` run host after host.
.DESCRIPTION
    Starts -HostCount "hosts" on this machine: sshd on 127.0.0.1, 127.0.0.2, ... each with its own private Postfix as
    that host's default Postfix (sshd's SetEnv MAIL_CONFIG), every one holding -MessagesPerHost messages (smtpd puts
    them on hold, filled by smtp-source). Then, -Repeat times each, it times:

      OpenSSH     `ssh -p PORT root@ADDRESS postqueue -j` for each host in turn (OpenSSH's client, key auth, a new
                  connection each time, output to a file), lines counted: what a shell loop over the fleet does.
      MailOps     in a fresh pwsh with the module imported: New-MailHostSession to every host (timed as "connect"), then
                  Get-MailQueue -Session (all hosts in parallel, -ThrottleLimit 32), objects counted: first call, and
                  a second call on the same sessions.

    Reports medians: the OpenSSH loop, MailOps connect plus first listing (the like-for-like cold figure), the listing
    alone on open sessions, and the ratios. Needs root (sshd, Postfix), openssh-server and openssh-client.
    Results: a table, and hostqueue-bench-<time>.json and .md under -OutputDirectory.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Benchmark HostQueue
.EXAMPLE
    dotnet pwsh ./tests/bench/Invoke-HostQueueBenchmark.ps1 -HostCount 10 -MessagesPerHost 100
#>
[CmdletBinding()]
param(
    # Hosts (sshd plus Postfix pairs) on 127.0.0.1 upwards.
    [ValidateRange(1, 200)]
    [int] $HostCount = 10,
    # Messages each host's Postfix holds.
    [int] $MessagesPerHost = 1000,
    # Timed runs of each kind (the median is reported).
    [int] $Repeat = 3,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../MailOps.psd1'),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../results/bench')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path $ModulePath).Path
$RepoRoot = Split-Path $ModulePath
if (-not (Test-Path (Join-Path $RepoRoot 'module/bin/MailOps.PowerShell.dll'))) { throw "MailOps is not built: run 'dotnet pwsh ./build.ps1 Build' first." }
if ((id -u) -ne '0') { throw 'The host queue benchmark starts sshd and Postfix instances: run it as root.' }
foreach ($exe in '/usr/sbin/sshd', '/usr/bin/ssh', '/usr/sbin/smtp-source') { if (-not (Test-Path $exe)) { throw "$exe is missing." } }
$OutputDirectory = [IO.Path]::GetFullPath($OutputDirectory)
# The fleet fixtures of the Pester tests: the same sshd and Postfix set-ups.
Import-Module (Join-Path $RepoRoot 'tests/pester/TestSsh.psm1') -Force
Import-Module (Join-Path $RepoRoot 'tests/pester/TestPostfix.psm1') -Force
. (Join-Path $PSScriptRoot 'BenchReport.ps1')
$startedAt = [DateTime]::Now
$loadBefore = (Get-Content /proc/loadavg -Raw).Trim()
$inv = [Globalization.CultureInfo]::InvariantCulture
$pwsh = [Environment]::ProcessPath
$pwshArgs = @(if ([IO.Path]::GetFileName($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })

$postfixes = [Collections.Generic.List[object]]::new()
$sshds = [Collections.Generic.List[object]]::new()
$work = Join-Path ([IO.Path]::GetTempPath()) ("mailops-hostqueue-bench-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
try {
    Write-Host "Starting $HostCount hosts (sshd + Postfix) holding $MessagesPerHost messages each ... " -NoNewline
    $sw = [Diagnostics.Stopwatch]::StartNew()
    for ($i = 1; $i -le $HostCount; $i++) {
        $pf = Start-TestPostfix -Hostname "host$i.bench.test" -Smtp -ExtraMainCf 'smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject_unauth_destination'
        $postfixes.Add($pf)
        $sshds.Add((Start-TestSsh -Address "127.0.0.$i" -ExtraConfig "SetEnv MAIL_CONFIG=$($pf.Conf)", 'MaxStartups 100'))
        & /usr/sbin/smtp-source -s 5 -m $MessagesPerHost -l 1024 -f sender@bench.test -t sink@remote.test "127.0.0.1:$($pf.SmtpPort)"
        if ($LASTEXITCODE -ne 0) { throw "smtp-source failed for host $i" }
    }
    $key = $sshds[0].ClientKey
    $knownHosts = Join-Path $work 'known_hosts'
    foreach ($s in $sshds) { Copy-Item "$key.pub" (Join-Path $s.Directory 'authorized_keys') -Force; Get-Content $s.KnownHosts | Add-Content $knownHosts }
    foreach ($pf in $postfixes) {
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while (@(& postqueue -c $pf.Conf -j).Count -lt $MessagesPerHost) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Postfix $($pf.Conf) does not hold $MessagesPerHost messages." }
            Start-Sleep -Milliseconds 200
        }
    }
    Write-Host ("{0:N1} s" -f $sw.Elapsed.TotalSeconds)
    $expected = $HostCount * $MessagesPerHost

    $sshRuns = @(); $coldRuns = @(); $connectRuns = @(); $listRuns = @(); $warmRuns = @()
    $hostList = ($sshds | ForEach-Object { "'$($_.Address)'" }) -join ','
    $portList = ($sshds | ForEach-Object { $_.Port }) -join ','
    for ($r = 0; $r -lt $Repeat; $r++) {
        # OpenSSH, host after host.
        $out = Join-Path $work 'ssh.json'
        Remove-Item $out -ErrorAction SilentlyContinue
        $sw = [Diagnostics.Stopwatch]::StartNew()
        foreach ($s in $sshds) {
            & /usr/bin/ssh -q -i $key -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$knownHosts" -p $s.Port "root@$($s.Address)" postqueue -j >> $out
            if ($LASTEXITCODE -ne 0) { throw "ssh to $($s.Address) failed ($LASTEXITCODE)" }
        }
        $sshRuns += $sw.Elapsed.TotalSeconds
        $lines = @([IO.File]::ReadLines($out)).Count
        if ($lines -ne $expected) { throw "ssh postqueue -j listed $lines of $expected messages." }

        # MailOps in a fresh pwsh: connect, list, list again.
        $script = "Import-Module '$ModulePath'; `$inv = [Globalization.CultureInfo]::InvariantCulture; `$a = $hostList; `$p = $portList; " +
            "`$sw = [Diagnostics.Stopwatch]::StartNew(); `$s = for (`$i = 0; `$i -lt `$a.Count; `$i++) { New-MailHostSession -HostName `$a[`$i] -Port `$p[`$i] -UserName root -KeyFilePath '$key' -KnownHostsPath '$knownHosts' }; `$connect = `$sw.Elapsed.TotalSeconds; " +
            "`$sw.Restart(); `$n = (Get-MailQueue -Session `$s | Measure-Object).Count; `$list = `$sw.Elapsed.TotalSeconds; " +
            "`$sw.Restart(); `$null = (Get-MailQueue -Session `$s | Measure-Object).Count; `$warm = `$sw.Elapsed.TotalSeconds; " +
            "'{0} {1} {2} {3}' -f `$connect.ToString(`$inv), `$n, `$list.ToString(`$inv), `$warm.ToString(`$inv)"
        $result = & $pwsh @pwshArgs -NoProfile -NonInteractive -Command $script
        if ($LASTEXITCODE -ne 0) { throw "MailOps run failed: $result" }
        $parts = (@($result)[-1]).Split(' ')
        if ([long]$parts[1] -ne $expected) { throw "Get-MailQueue -Session listed $($parts[1]) of $expected messages." }
        $connectRuns += [double]::Parse($parts[0], $inv)
        $listRuns += [double]::Parse($parts[2], $inv)
        $warmRuns += [double]::Parse($parts[3], $inv)
        $coldRuns += [double]::Parse($parts[0], $inv) + [double]::Parse($parts[2], $inv)
    }
    $row = [pscustomobject][ordered]@{
        Hosts                     = $HostCount
        MessagesPerHost           = $MessagesPerHost
        SequentialSshSeconds      = [Math]::Round((Measure-Median $sshRuns), 3)
        MailOpsConnectAndList     = [Math]::Round((Measure-Median $coldRuns), 3)
        'Ssh/MailOpsCold'         = [Math]::Round((Measure-Median $sshRuns) / (Measure-Median $coldRuns), 2)
        MailOpsConnectSeconds     = [Math]::Round((Measure-Median $connectRuns), 3)
        MailOpsListSeconds        = [Math]::Round((Measure-Median $listRuns), 3)
        'Ssh/MailOpsList'         = [Math]::Round((Measure-Median $sshRuns) / (Measure-Median $listRuns), 2)
        MailOpsSecondListSeconds  = [Math]::Round((Measure-Median $warmRuns), 3)
        'Ssh/MailOpsSecondList'   = [Math]::Round((Measure-Median $sshRuns) / (Measure-Median $warmRuns), 2)
    }
    $row | Format-List | Out-String | Out-Host
}
finally {
    foreach ($s in $sshds) { Stop-TestSsh $s }
    foreach ($pf in $postfixes) { Stop-TestPostfix $pf }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

$meta = [ordered]@{
    StartedAt     = $startedAt.ToString('o')
    Cores         = [Environment]::ProcessorCount
    LoadAvgBefore = $loadBefore
    LoadAvgAfter  = (Get-Content /proc/loadavg -Raw).Trim()
    Postfix       = (& postconf -h mail_version)
    OpenSsh       = ((& ssh -V 2>&1) -join '')
    Dotnet        = [Environment]::Version.ToString()
    Method        = "$HostCount sshd on 127.0.0.1.. each with its own Postfix (SetEnv MAIL_CONFIG) holding $MessagesPerHost messages. OpenSSH: ssh root@host postqueue -j for each host in turn, a new connection each. MailOps: a fresh pwsh after Import-Module, New-MailHostSession to every host (connect), Get-MailQueue -Session (first and second listing). Median of $Repeat runs; all on one 2-core machine shared by clients, sshd and Postfix."
}
Write-BenchReport -Directory $OutputDirectory -Name hostqueue -Title 'Host queue benchmark' -StartedAt $startedAt -Meta $meta -Row $row `
    -Conditions "$($meta.Cores) cores, load average before $($meta.LoadAvgBefore), after $($meta.LoadAvgAfter); Postfix $($meta.Postfix); $($meta.OpenSsh); .NET $($meta.Dotnet). $($meta.Method)" `
    -Columns ([ordered]@{ 'hosts' = 'Hosts'; 'messages/host' = 'MessagesPerHost'; 'ssh loop s' = 'SequentialSshSeconds'; 'MailOps connect+list s' = 'MailOpsConnectAndList'; 'ssh/MailOps (cold)' = 'Ssh/MailOpsCold'; 'MailOps connect s' = 'MailOpsConnectSeconds'; 'MailOps list s' = 'MailOpsListSeconds'; 'ssh/MailOps list' = 'Ssh/MailOpsList'; 'second list s' = 'MailOpsSecondListSeconds'; 'ssh/MailOps second' = 'Ssh/MailOpsSecondList' })
exit 0
