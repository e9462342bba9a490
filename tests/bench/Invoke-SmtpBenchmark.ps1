#!/usr/bin/env pwsh
<#
.SYNOPSIS
    End-to-end SMTP benchmark: MailOps vs Postfix (virtual(8) into Maildir) vs Postfix's smtp-sink, driven by smtp-source.
.DESCRIPTION
    For every message size and session count (a "cell") each server gets the same load from Postfix's smtp-source
    over 127.0.0.1 high ports, in one run on one machine:

      MailOps   the bundled server, in its own pwsh process (Start-MailServer -ConfigPath -Foreground), fresh data
                directory per cell; one local user. Delivers into <data>/mail/<domain>/<user>/Maildir.
      Postfix   a private Postfix instance (postfix -c DIR, own queue and data directory, chroot n) delivering with
                virtual(8) into virtual_mailbox_base/<domain>/<user>/Maildir/ (Maildir with fsync, Postfix's default).
      SmtpSink  Postfix's smtp-sink: accepts and discards. The ceiling of what smtp-source and loopback can do here.

    Time runs from the start of smtp-source until every message is a file in the recipient's Maildir/new (polled),
    or, for smtp-sink, until smtp-source exits. Each server is started fresh for each cell and warmed up first with
    -WarmupCount messages of the cell's size to a second mailbox (JIT, process pools), which are not counted. The
    default warm-up is long (500) because .NET's tiered JIT keeps recompiling hot methods (tier 0, instrumented,
    tier 1) over the first several hundred messages: a perf profile of a 50-message warm-up showed libclrjit at ~20%
    of the server's CPU through a 300-message cell. A mail server runs for days; the cells measure its steady state.

    Peak memory:
      MailOps   VmHWM of the pwsh process that hosts the server (/proc/<pid>/status), read at the end of the cell.
      Postfix   the peak of the sum of VmRSS over the master and all its children, sampled every -MemorySampleMs
                during the timed part (PeakSumRssMiB); the JSON also has the largest single-process VmHWM and the sum
                of the per-process VmHWM of every Postfix process seen (an upper bound: not all lived at once).
      SmtpSink  VmHWM of the smtp-sink process.

    Needs root (Postfix instances) and smtp-source/smtp-sink in /usr/sbin; the MailOps module must be built
    (build.ps1 Bench builds it first). Every daemon started is stopped at the end, also on failure or Ctrl-C.
    Results: a table on screen, and smtp-bench-<time>.json and .md under -OutputDirectory.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench
.EXAMPLE
    dotnet pwsh ./tests/bench/Invoke-SmtpBenchmark.ps1 -Count 500,100 -Sessions 1,10
#>
[CmdletBinding()]
param(
    # Message sizes in KiB (the smtp-source payload, -l); paired with -Count.
    [int[]] $SizeKiB = @(1, 64),
    # Messages per cell for each size in -SizeKiB.
    [int[]] $Count = @(2000, 1000),
    # Concurrent SMTP sessions (smtp-source -s).
    [int[]] $Sessions = @(1, 10, 50),
    [ValidateSet('MailOps', 'Postfix', 'SmtpSink')]
    [string[]] $Server = @('MailOps', 'Postfix', 'SmtpSink'),
    # Messages sent to a second mailbox before each timed cell, not counted.
    [int] $WarmupCount = 500,
    # Longest a cell may take (sending plus delivery); the cell is then reported as failed.
    [int] $CellTimeoutSeconds = 180,
    # MailOps listens on BasePort, Postfix on BasePort+1, smtp-sink on BasePort+2 (all 127.0.0.1).
    [int] $BasePort = 40025,
    [int] $MemorySampleMs = 200,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../MailOps.psd1'),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../results/bench'),
    # Keep the scratch directory (queues, Maildirs, logs) for inspection.
    [switch] $KeepWork
)

. (Join-Path $PSScriptRoot 'BenchSupport.ps1')
$IsRoot = (id -u) -eq '0'
if ('Postfix' -in $Server -and -not $IsRoot) {
    Write-Warning 'Not root: a private Postfix cannot be started; skipping Postfix.'
    $Server = @($Server | Where-Object { $_ -ne 'Postfix' })
}

$Domain = 'bench.test'
$Recipient = "bench@$Domain"
$WarmRecipient = "warm@$Domain"
$Work = Join-Path ([IO.Path]::GetTempPath()) ("mailops-bench-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $Work | Out-Null

function Invoke-Cell([string] $Name, [int] $Bytes, [int] $Messages, [int] $SessionCount, [int] $Port) {
    $dir = Join-Path $Work ("{0}-{1}k-{2}s" -f $Name, ($Bytes / 1024), $SessionCount)
    $row = [ordered]@{
        Server = $Name; SizeKiB = $Bytes / 1024; Messages = $Messages; Sessions = $SessionCount
        Seconds = $null; MsgPerSec = $null; AcceptSeconds = $null; PeakMemMiB = $null; MemoryMeasure = $null; Error = $null
    }
    $s = $null
    try {
        $s = switch ($Name) {
            'MailOps' { Start-MailOpsServer $dir $Port }
            'Postfix' { Start-PostfixServer $dir $Port }
            'SmtpSink' { Start-SmtpSinkServer $dir $Port }
        }
        # Warm-up to a second mailbox.
        if ($WarmupCount -gt 0) {
            $warm = Invoke-SmtpSource $Port $WarmupCount ([Math]::Min($SessionCount, 10)) $Bytes $WarmRecipient (Join-Path $dir 'warmup')
            $w = Wait-Delivery $s.WarmDir $WarmupCount ([DateTime]::UtcNow.AddSeconds($CellTimeoutSeconds)) $warm $null
            if ($w.TimedOut) { throw "warm-up: $(Get-FileCount $s.WarmDir) of $WarmupCount delivered in $CellTimeoutSeconds s" }
        }

        $pfPeak = @{ SumRss = 0L; SumPss = 0L; Hwm = @{} }
        $sample = $null
        if ($Name -eq 'Postfix') {
            $master = $s.MasterPid
            $sample = {
                $sum = 0L; $pss = 0L
                foreach ($p in Get-Descendants $master) {
                    $st = Read-ProcStatus $p
                    if ($null -eq $st) { continue }
                    $sum += $st.VmRSS
                    $pss += Read-Pss $p
                    if (-not $pfPeak.Hwm.ContainsKey($p) -or $pfPeak.Hwm[$p] -lt $st.VmHWM) { $pfPeak.Hwm[$p] = $st.VmHWM }
                }
                if ($sum -gt $pfPeak.SumRss) { $pfPeak.SumRss = $sum }
                if ($pss -gt $pfPeak.SumPss) { $pfPeak.SumPss = $pss }
            }
        }

        $source = Invoke-SmtpSource $Port $Messages $SessionCount $Bytes $Recipient (Join-Path $dir 'source')
        $r = Wait-Delivery $s.NewDir $Messages ([DateTime]::UtcNow.AddSeconds($CellTimeoutSeconds)) $source $sample
        if ($r.TimedOut) {
            $have = if ($s.NewDir) { Get-FileCount $s.NewDir } else { 'n/a' }
            throw "timed out after $CellTimeoutSeconds s: $have of $Messages in Maildir/new"
        }
        $sourceErr = Get-Content (Join-Path $dir 'source.err') -Raw -ErrorAction SilentlyContinue
        if ($source.ExitCode -ne 0 -or $sourceErr) { Write-Warning "$Name ${Bytes}B x$SessionCount smtp-source (exit $($source.ExitCode)): $sourceErr" }
        if ($Name -eq 'SmtpSink' -and $source.ExitCode -ne 0) { throw "smtp-source failed against smtp-sink: $sourceErr" }
        $row.Seconds = [Math]::Round($r.Seconds, 3)
        $row.MsgPerSec = [Math]::Round($Messages / $r.Seconds, 1)
        $row.AcceptSeconds = [Math]::Round($r.SourceSeconds, 3)

        switch ($Name) {
            'MailOps' {
                $st = Read-ProcStatus $s.Process.Id
                $row.PeakMemMiB = [Math]::Round($st.VmHWM / 1024, 1)
                $row.MemoryMeasure = 'VmHWM of the server''s pwsh process'
            }
            'Postfix' {
                $row.PeakMemMiB = [Math]::Round($pfPeak.SumRss / 1024, 1)
                $row.MemoryMeasure = "peak of sampled sum of VmRSS, master + children (every $MemorySampleMs ms)"
                $row.PostfixPeakSumPssMiB = [Math]::Round($pfPeak.SumPss / 1024, 1)
                $row.PostfixMaxProcessHwmMiB = [Math]::Round((($pfPeak.Hwm.Values | Measure-Object -Maximum).Maximum) / 1024, 1)
                $row.PostfixSumProcessHwmMiB = [Math]::Round((($pfPeak.Hwm.Values | Measure-Object -Sum).Sum) / 1024, 1)
                $row.PostfixProcessesSeen = $pfPeak.Hwm.Count
            }
            'SmtpSink' {
                $st = Read-ProcStatus $s.Process.Id
                $row.PeakMemMiB = [Math]::Round($st.VmHWM / 1024, 1)
                $row.MemoryMeasure = 'VmHWM of smtp-sink'
            }
        }
    }
    catch { $row.Error = "$_"; Write-Warning "$Name $($Bytes / 1024) KiB x$SessionCount sessions: $_" }
    finally {
        Stop-Everything
        if (-not $KeepWork -and (Test-Path $dir)) { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
    return [pscustomobject]$row
}

$results = [System.Collections.Generic.List[object]]::new()
$startedAt = Get-Date
$loadBefore = (Get-Content /proc/loadavg -Raw).Trim()
try {
    for ($i = 0; $i -lt $SizeKiB.Count; $i++) {
        foreach ($sessionCount in $Sessions) {
            foreach ($name in $Server) {
                $port = $BasePort + [array]::IndexOf(@('MailOps', 'Postfix', 'SmtpSink'), $name)
                Write-Host ("{0,-8} {1,3} KiB x {2,5} msgs, {3,2} sessions ... " -f $name, $SizeKiB[$i], $Count[$i], $sessionCount) -NoNewline
                $row = Invoke-Cell $name ($SizeKiB[$i] * 1024) $Count[$i] $sessionCount $port
                $results.Add($row)
                if ($row.Error) { Write-Host 'FAILED' } else { Write-Host ("{0,8:N1} msg/s  ({1:N2} s, peak {2} MiB)" -f $row.MsgPerSec, $row.Seconds, $row.PeakMemMiB) }
            }
        }
    }
}
finally {
    Stop-Everything
    if ($KeepWork) { Write-Host "Scratch kept: $Work" } else { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

# Summary: one line per size x sessions, with the ratios.
$summary = foreach ($group in $results | Group-Object SizeKiB, Sessions) {
    $by = @{}; foreach ($r in $group.Group) { $by[$r.Server] = $r }
    $rate = { param($n) if ($by.ContainsKey($n) -and -not $by[$n].Error) { $by[$n].MsgPerSec } else { $null } }
    $mem = { param($n) if ($by.ContainsKey($n) -and -not $by[$n].Error) { $by[$n].PeakMemMiB } else { $null } }
    $m = & $rate 'MailOps'; $p = & $rate 'Postfix'; $k = & $rate 'SmtpSink'
    [pscustomobject][ordered]@{
        SizeKiB          = $group.Group[0].SizeKiB
        Messages         = $group.Group[0].Messages
        Sessions         = $group.Group[0].Sessions
        MailOpsMsgPerSec = $m
        PostfixMsgPerSec = $p
        SinkMsgPerSec    = $k
        'MailOps/Postfix' = if ($m -and $p) { [Math]::Round($m / $p, 2) } else { $null }
        'MailOps/Sink'    = if ($m -and $k) { [Math]::Round($m / $k, 3) } else { $null }
        MailOpsPeakMiB   = & $mem 'MailOps'
        PostfixPeakMiB   = & $mem 'Postfix'
        PostfixPeakPssMiB = if ($by.ContainsKey('Postfix') -and -not $by['Postfix'].Error) { $by['Postfix'].PostfixPeakSumPssMiB } else { $null }
    }
}

# Format-Table shows at most 10 columns unless told which.
$summary | Format-Table -AutoSize -Property SizeKiB, Messages, Sessions, MailOpsMsgPerSec, PostfixMsgPerSec, SinkMsgPerSec,
    'MailOps/Postfix', 'MailOps/Sink', MailOpsPeakMiB, PostfixPeakMiB, PostfixPeakPssMiB | Out-String -Width 300 | Out-Host
$failed = @($results | Where-Object Error)
foreach ($f in $failed) { Write-Warning "$($f.Server) $($f.SizeKiB) KiB x$($f.Sessions): $($f.Error)" }

New-Item -ItemType Directory -Force $OutputDirectory | Out-Null
$stamp = $startedAt.ToString('yyyyMMdd-HHmmss')
$meta = [ordered]@{
    StartedAt       = $startedAt.ToString('o')
    Host            = [Environment]::MachineName
    Cores           = [Environment]::ProcessorCount
    LoadAvgBefore   = $loadBefore
    LoadAvgAfter    = (Get-Content /proc/loadavg -Raw).Trim()
    Postfix         = (& postconf -d -h mail_version 2>$null)
    Dotnet          = [Environment]::Version.ToString()
    MailOpsVersion  = (Import-PowerShellDataFile $ModulePath).ModuleVersion
    WarmupCount     = $WarmupCount
    Method          = 'smtp-source -> 127.0.0.1; time from smtp-source start until all messages are files in Maildir/new (smtp-sink: until smtp-source exits); fresh server per cell after a warm-up to another mailbox.'
    MailOpsMemory   = 'VmHWM of the pwsh process hosting the server'
    PostfixMemory   = "peak of the sum of VmRSS over master and children, sampled every $MemorySampleMs ms (counts shared libraries once per process; PostfixPeakPssMiB, the same with PSS, does not)"
}
$json = Join-Path $OutputDirectory "smtp-bench-$stamp.json"
[ordered]@{ Meta = $meta; Summary = @($summary); Cells = @($results) } | ConvertTo-Json -Depth 6 | Set-Content $json

$md = [System.Text.StringBuilder]::new()
[void]$md.AppendLine("# SMTP end-to-end benchmark, $($startedAt.ToString('yyyy-MM-dd HH:mm'))").AppendLine()
[void]$md.AppendLine("$($meta.Cores) cores, load average before $($meta.LoadAvgBefore), after $($meta.LoadAvgAfter); Postfix $($meta.Postfix); MailOps $($meta.MailOpsVersion) on .NET $($meta.Dotnet).")
[void]$md.AppendLine("$($meta.Method) Memory: MailOps $($meta.MailOpsMemory); Postfix $($meta.PostfixMemory). Load generator and servers share the machine: compare within one run only.").AppendLine()
[void]$md.AppendLine('| KiB | msgs | sessions | MailOps msg/s | Postfix msg/s | smtp-sink msg/s | MailOps/Postfix | MailOps/sink | MailOps peak MiB | Postfix peak MiB (RSS sum) | Postfix peak MiB (PSS sum) |')
[void]$md.AppendLine('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
foreach ($s in $summary) {
    [void]$md.AppendLine("| $($s.SizeKiB) | $($s.Messages) | $($s.Sessions) | $($s.MailOpsMsgPerSec) | $($s.PostfixMsgPerSec) | $($s.SinkMsgPerSec) | $($s.'MailOps/Postfix') | $($s.'MailOps/Sink') | $($s.MailOpsPeakMiB) | $($s.PostfixPeakMiB) | $($s.PostfixPeakPssMiB) |")
}
if ($failed) {
    [void]$md.AppendLine().AppendLine('Failed cells:').AppendLine()
    foreach ($f in $failed) { [void]$md.AppendLine("- $($f.Server) $($f.SizeKiB) KiB x$($f.Sessions): $($f.Error)") }
}
$mdPath = [IO.Path]::ChangeExtension($json, '.md')
Set-Content $mdPath $md.ToString()
Write-Host "Results: $json, $mdPath"
if ($failed) { exit 1 }
exit 0
