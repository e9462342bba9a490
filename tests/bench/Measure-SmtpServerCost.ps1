#!/usr/bin/env pwsh
<#
.SYNOPSIS
    What a busy machine does not move much: server CPU time per message and (with -Strace) system calls per message,
    for MailOps and for Postfix (smtpd, cleanup, qmgr, virtual: the master and all its children), under smtp-source.
.DESCRIPTION
    For each size and session count, each server is started fresh, warmed up with -WarmupCount messages to a second
    mailbox, and then measured over -Count messages until every one is in Maildir/new:
      CPU   utime+stime from /proc/<pid>/stat of the server process (MailOps: the pwsh process with all its threads;
            Postfix: every live descendant of the master plus the master's cutime+cstime, which holds the children
            that exited meanwhile), before and after; reported in ms per message.
      -Strace  strace -c -f attached to the server (all threads, all Postfix processes and their new children) for the
            measured part only; the counts of fsync, fdatasync, rename, openat, write, read, unlink per message.
    Wall-clock msg/s is printed too, but on a shared machine it is noise: compare CPU and syscall counts.
.EXAMPLE
    dotnet pwsh ./tests/bench/Measure-SmtpServerCost.ps1 -SizeKiB 1,64 -Count 1000,150 -Sessions 10
#>
[CmdletBinding()]
param(
    [int[]] $SizeKiB = @(1, 64),
    [int[]] $Count = @(1000, 150),
    [int[]] $Sessions = @(10),
    [ValidateSet('MailOps', 'Postfix')]
    [string[]] $Server = @('MailOps', 'Postfix'),
    [int] $WarmupCount = 50,
    [switch] $Strace,
    # With -Strace: trace only fsync and fdatasync, and count them per path (queue file, incoming/, new/, ...).
    [switch] $FsyncPaths,
    # With -Strace: trace these calls (strace -e trace=...) with paths, and keep the raw trace in -OutputDirectory.
    [string] $TraceCalls,
    # perf record -g of the MailOps server during the measured part into this directory (perf-<cell>.data).
    [string] $PerfDirectory,
    [int] $CellTimeoutSeconds = 300,
    [int] $BasePort = 40125,
    [int] $MemorySampleMs = 200,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../MailOps.psd1'),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../results/bench')
)

. (Join-Path $PSScriptRoot 'BenchSupport.ps1')
$Domain = 'bench.test'
$Recipient = "bench@$Domain"
$WarmRecipient = "warm@$Domain"
New-Item -ItemType Directory -Force $OutputDirectory | Out-Null
$Work = Join-Path ([IO.Path]::GetTempPath()) ("mailops-cost-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $Work | Out-Null
$TicksPerSecond = [double](& getconf CLK_TCK)
if ($PerfDirectory) { $env:DOTNET_PerfMapEnabled = '1'; New-Item -ItemType Directory -Force $PerfDirectory | Out-Null }

function Read-CpuTicks([int] $ProcessId, [switch] $WithChildren) {
    # utime+stime (and cutime+cstime of reaped children) in clock ticks, or 0 when the process is gone.
    try { $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat") } catch { return 0L }
    $f = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    # Fields after the comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    $t = [long]$f[11] + [long]$f[12]
    if ($WithChildren) { $t += [long]$f[13] + [long]$f[14] }
    return $t
}

function Read-ServerTicks($s) {
    if ($s.Kind -eq 'MailOps') { return Read-CpuTicks $s.Pid }
    $sum = Read-CpuTicks $s.Pid -WithChildren
    foreach ($p in Get-Descendants $s.Pid) { if ($p -ne $s.Pid) { $sum += Read-CpuTicks $p } }
    return $sum
}

$results = [System.Collections.Generic.List[object]]::new()
try {
    for ($i = 0; $i -lt $SizeKiB.Count; $i++) {
        foreach ($sessionCount in $Sessions) {
            foreach ($name in $Server) {
                $bytes = $SizeKiB[$i] * 1024; $messages = $Count[$i]
                $dir = Join-Path $Work ("{0}-{1}k-{2}s" -f $name, $SizeKiB[$i], $sessionCount)
                $port = $BasePort + [array]::IndexOf(@('MailOps', 'Postfix'), $name)
                try {
                    $s = if ($name -eq 'MailOps') { Start-MailOpsServer $dir $port } else { Start-PostfixServer $dir $port }
                    $s.Pid = if ($name -eq 'MailOps') { $s.Process.Id } else { $s.MasterPid }
                    $s.Kind = $name
                    $warm = Invoke-SmtpSource $port $WarmupCount ([Math]::Min($sessionCount, 10)) $bytes $WarmRecipient (Join-Path $dir 'warmup')
                    $w = Wait-Delivery $s.WarmDir $WarmupCount ([DateTime]::UtcNow.AddSeconds($CellTimeoutSeconds)) $warm $null
                    if ($w.TimedOut) { throw 'warm-up timed out' }
                    Start-Sleep -Milliseconds 500
                    $tracer = $null; $perf = $null
                    $traceFile = Join-Path $dir 'strace.txt'
                    if ($Strace) {
                        $pids = @(Get-Descendants $s.Pid | ForEach-Object { '-p'; "$_" })
                        $mode = if ($TraceCalls) { @('-e', "trace=$TraceCalls", '-y', '-qq') }
                            elseif ($FsyncPaths) { @('-e', 'trace=fsync,fdatasync', '-y', '-qq') } else { @('-c') }
                        $tracer = Start-Process strace -ArgumentList (@($mode) + @('-f', '-o', $traceFile) + $pids) -PassThru -NoNewWindow
                        Start-Sleep -Seconds 2
                    }
                    if ($PerfDirectory -and $name -eq 'MailOps') {
                        $perfFile = Join-Path $PerfDirectory ("perf-{0}k-{1}s.data" -f $SizeKiB[$i], $sessionCount)
                        $perf = Start-Process perf -ArgumentList @('record', '-g', '-F', '499', '-p', $s.Pid, '-o', $perfFile) -PassThru -NoNewWindow `
                            -RedirectStandardError (Join-Path $dir 'perf.err') -RedirectStandardOutput (Join-Path $dir 'perf.out')
                        Start-Sleep -Seconds 1
                    }
                    $before = Read-ServerTicks $s
                    $load = (Get-Content /proc/loadavg -Raw).Split(' ')[0]
                    $source = Invoke-SmtpSource $port $messages $sessionCount $bytes $Recipient (Join-Path $dir 'source')
                    $r = Wait-Delivery $s.NewDir $messages ([DateTime]::UtcNow.AddSeconds($CellTimeoutSeconds)) $source $null
                    if ($r.TimedOut) { throw "timed out: $(Get-FileCount $s.NewDir) of $messages" }
                    # Postfix's queue manager removes the queue file after the delivery: let it finish.
                    Start-Sleep -Milliseconds 300
                    $after = Read-ServerTicks $s
                    if ($perf) { & kill -INT $perf.Id; $perf.WaitForExit(30000) | Out-Null }
                    $row = [ordered]@{
                        Server = $name; SizeKiB = $SizeKiB[$i]; Sessions = $sessionCount; Messages = $messages; Load = $load
                        MsgPerSec = [Math]::Round($messages / $r.Seconds, 1)
                        CpuMsPerMsg = [Math]::Round(($after - $before) / $TicksPerSecond * 1000 / $messages, 3)
                    }
                    if ($tracer) {
                        & kill -INT $tracer.Id; $tracer.WaitForExit(30000) | Out-Null
                        $counts = @{}
                        if ($FsyncPaths) {
                            # What was fsynced, per message: the path with queue IDs and unique names folded.
                            $paths = @{}
                            foreach ($line in Get-Content $traceFile) {
                                if ($line -match 'sync\(\d+<([^>]*)>') {
                                    $key = [regex]::Replace($Matches[1], '/[^/]*[0-9A-F]{6,}[^/]*$', '/<file>')
                                    $key = [regex]::Replace($key, '^.*?/(queue|data|mail)/', '$1/')
                                    $paths[$key] = 1 + ($paths[$key] ?? 0)
                                }
                            }
                            foreach ($kv in $paths.GetEnumerator() | Sort-Object Value -Descending) { $row["fsync $($kv.Key)"] = [Math]::Round($kv.Value / $messages, 2) }
                        }
                        foreach ($line in Get-Content $traceFile) {
                            if ($line -match '^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$') { $counts[$Matches[2]] = [long]$Matches[1] }
                        }
                        foreach ($call in 'fsync', 'fdatasync', 'rename', 'renameat', 'renameat2', 'openat', 'write', 'read', 'unlink', 'unlinkat', 'futex', 'epoll_wait', 'sendmsg', 'recvmsg', 'sendto', 'recvfrom') {
                            if ($counts.ContainsKey($call)) { $row[$call] = [Math]::Round($counts[$call] / $messages, 2) }
                        }
                        $row['AllSyscalls'] = [Math]::Round((($counts.Values | Measure-Object -Sum).Sum) / $messages, 1)
                        Copy-Item $traceFile (Join-Path $OutputDirectory ("strace-{0}-{1}k-{2}s.txt" -f $name, $SizeKiB[$i], $sessionCount)) -ErrorAction SilentlyContinue
                    }
                    $results.Add([pscustomobject]$row)
                    [pscustomobject]$row | Format-List | Out-String | Write-Host
                }
                catch { Write-Warning "$name $($SizeKiB[$i]) KiB x$sessionCount : $_" }
                finally {
                    Stop-Everything
                    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
                }
            }
        }
    }
}
finally {
    Stop-Everything
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}
$results | Format-Table -AutoSize | Out-String -Width 300 | Write-Host
