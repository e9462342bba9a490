#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Relay benchmark: MailOps vs Postfix relaying the same load to Postfix's smtp-sink, driven by smtp-source.
.DESCRIPTION
    For every message size and session count (a "cell") each relay gets the same load from Postfix's smtp-source
    over 127.0.0.1, in one run on one machine. Every message is for a remote domain; the relay takes it in from
    mynetworks, queues it (fsync) and sends it on to its relay host, a fresh smtp-sink started for the cell:

      MailOps   the bundled server in its own pwsh process, "relayHost": "[127.0.0.1]:<sink port>".
      Postfix   a private Postfix instance, relayhost = [127.0.0.1]:<sink port>, Postfix's defaults otherwise.

    Time runs from the start of smtp-source until smtp-sink has received every message (its -c counter), after a
    warm-up of -WarmupCount messages that are not counted. Both relays use up to 20 connections to the destination
    (Postfix's default_destination_concurrency_limit, MailOps's destinationConcurrency default).

    Needs root (Postfix instances) and smtp-source/smtp-sink in /usr/sbin; the module must be built (build.ps1
    Bench builds it). Results: a table, and relay-bench-<time>.json and .md under -OutputDirectory.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Benchmark Relay
.EXAMPLE
    dotnet pwsh ./tests/bench/Invoke-RelayBenchmark.ps1 -Count 500 -SizeKiB 1 -Sessions 10
#>
[CmdletBinding()]
param(
    # Message sizes in KiB (the smtp-source payload, -l); paired with -Count.
    [int[]] $SizeKiB = @(1, 64),
    # Messages per cell for each size in -SizeKiB.
    [int[]] $Count = @(2000, 300),
    # Concurrent inbound SMTP sessions (smtp-source -s).
    [int[]] $Sessions = @(1, 10, 50),
    [ValidateSet('MailOps', 'Postfix')]
    [string[]] $Server = @('MailOps', 'Postfix'),
    # Messages relayed before each timed cell, not counted.
    [int] $WarmupCount = 50,
    # Longest a cell may take (sending plus relaying); the cell is then reported as failed.
    [int] $CellTimeoutSeconds = 180,
    # MailOps listens on BasePort, Postfix on BasePort+1, the cell's smtp-sink on BasePort+2 (all 127.0.0.1).
    [int] $BasePort = 40125,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../MailOps.psd1'),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../results/bench'),
    # Keep the scratch directory (queues, logs) for inspection.
    [switch] $KeepWork
)

. (Join-Path $PSScriptRoot 'BenchSupport.ps1')
if ((id -u) -ne '0') { throw 'The relay benchmark starts private Postfix instances: run it as root.' }
$MemorySampleMs = 200

$Domain = 'bench.test'
$RemoteRecipient = 'sink@remote.test'
$WarmRecipient = 'warm@remote.test'
$Work = Join-Path ([IO.Path]::GetTempPath()) ("mailops-relay-bench-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $Work | Out-Null

function Read-SinkCount([string] $OutFile) {
    # smtp-sink -c rewrites "sess=N quit=N mesg=N" after \r on every event: the last mesg= is the count so far.
    if (-not [IO.File]::Exists($OutFile)) { return 0 }
    $stream = [IO.FileStream]::new($OutFile, 'Open', 'Read', 'ReadWrite')
    try {
        $stream.Seek([Math]::Max(0, $stream.Length - 256), 'Begin') | Out-Null
        $tail = [IO.StreamReader]::new($stream).ReadToEnd()
    }
    finally { $stream.Dispose() }
    $found = [regex]::Matches($tail, 'mesg=(\d+)')
    if ($found.Count -eq 0) { return 0 }
    return [int]$found[$found.Count - 1].Groups[1].Value
}

function Wait-Sink([string] $OutFile, [int] $Expected, [DateTime] $Deadline, [System.Diagnostics.Process] $Source) {
    # Polls smtp-sink's counter until it reaches $Expected; also notes when smtp-source exits.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $sourceDone = $null
    while ((Read-SinkCount $OutFile) -lt $Expected) {
        if ($null -eq $sourceDone -and $Source.HasExited) { $sourceDone = $sw.Elapsed.TotalSeconds }
        if ([DateTime]::UtcNow -gt $Deadline) { return @{ TimedOut = $true; Seconds = $sw.Elapsed.TotalSeconds; SourceSeconds = $sourceDone } }
        Start-Sleep -Milliseconds 20
    }
    $total = $sw.Elapsed.TotalSeconds
    if ($null -eq $sourceDone) { $Source.WaitForExit(); $sourceDone = $sw.Elapsed.TotalSeconds }
    return @{ TimedOut = $false; Seconds = $total; SourceSeconds = $sourceDone }
}

function Invoke-Cell([string] $Name, [int] $Bytes, [int] $Messages, [int] $SessionCount, [int] $Port, [int] $SinkPort) {
    $dir = Join-Path $Work ("{0}-{1}k-{2}s" -f $Name, ($Bytes / 1024), $SessionCount)
    $row = [ordered]@{
        Server = $Name; SizeKiB = $Bytes / 1024; Messages = $Messages; Sessions = $SessionCount
        Seconds = $null; MsgPerSec = $null; AcceptSeconds = $null; PeakMemMiB = $null; Error = $null
    }
    try {
        $sink = Start-SmtpSinkServer (Join-Path $dir 'sink') $SinkPort @('-c')
        $sinkOut = Join-Path $dir 'sink/sink.out'
        $process = $null
        switch ($Name) {
            'MailOps' {
                $process = Start-MailOpsProcess (Join-Path $dir 'mailops') $Port @{
                    # By address: no MX lookup. Mail from mynetworks is not checked, and /etc/hosts names the client.
                    relayHost = "[127.0.0.1]:$SinkPort"
                }
            }
            'Postfix' {
                Start-PostfixInstance (Join-Path $dir 'postfix') $Port @"
relayhost = [127.0.0.1]:$SinkPort
smtp_tls_security_level = may
"@ | Out-Null
            }
        }
        if ($WarmupCount -gt 0) {
            $warm = Invoke-SmtpSource $Port $WarmupCount ([Math]::Min($SessionCount, 10)) $Bytes $WarmRecipient (Join-Path $dir 'warmup')
            $w = Wait-Sink $sinkOut $WarmupCount ([DateTime]::UtcNow.AddSeconds($CellTimeoutSeconds)) $warm
            if ($w.TimedOut) { throw "warm-up: $(Read-SinkCount $sinkOut) of $WarmupCount relayed in $CellTimeoutSeconds s" }
        }
        $source = Invoke-SmtpSource $Port $Messages $SessionCount $Bytes $RemoteRecipient (Join-Path $dir 'source')
        $r = Wait-Sink $sinkOut ($WarmupCount + $Messages) ([DateTime]::UtcNow.AddSeconds($CellTimeoutSeconds)) $source
        if ($r.TimedOut) { throw "timed out after $CellTimeoutSeconds s: $((Read-SinkCount $sinkOut) - $WarmupCount) of $Messages at smtp-sink" }
        $sourceErr = Get-Content (Join-Path $dir 'source.err') -Raw -ErrorAction SilentlyContinue
        if ($source.ExitCode -ne 0 -or $sourceErr) { Write-Warning "$Name ${Bytes}B x$SessionCount smtp-source (exit $($source.ExitCode)): $sourceErr" }
        $row.Seconds = [Math]::Round($r.Seconds, 3)
        $row.MsgPerSec = [Math]::Round($Messages / $r.Seconds, 1)
        $row.AcceptSeconds = [Math]::Round($r.SourceSeconds, 3)
        if ($process) { $row.PeakMemMiB = [Math]::Round((Read-ProcStatus $process.Id).VmHWM / 1024, 1) }
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
                $port = $BasePort + [array]::IndexOf(@('MailOps', 'Postfix'), $name)
                Write-Host ("relay {0,-8} {1,3} KiB x {2,5} msgs, {3,2} sessions ... " -f $name, $SizeKiB[$i], $Count[$i], $sessionCount) -NoNewline
                $row = Invoke-Cell $name ($SizeKiB[$i] * 1024) $Count[$i] $sessionCount $port ($BasePort + 2)
                $results.Add($row)
                if ($row.Error) { Write-Host 'FAILED' } else { Write-Host ("{0,8:N1} msg/s  ({1:N2} s)" -f $row.MsgPerSec, $row.Seconds) }
            }
        }
    }
}
finally {
    Stop-Everything
    if ($KeepWork) { Write-Host "Scratch kept: $Work" } else { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

$summary = foreach ($group in $results | Group-Object SizeKiB, Sessions) {
    $by = @{}; foreach ($r in $group.Group) { if (-not $r.Error) { $by[$r.Server] = $r } }
    $m = if ($by.ContainsKey('MailOps')) { $by['MailOps'].MsgPerSec } else { $null }
    $p = if ($by.ContainsKey('Postfix')) { $by['Postfix'].MsgPerSec } else { $null }
    [pscustomobject][ordered]@{
        SizeKiB           = $group.Group[0].SizeKiB
        Messages          = $group.Group[0].Messages
        Sessions          = $group.Group[0].Sessions
        MailOpsMsgPerSec  = $m
        PostfixMsgPerSec  = $p
        'MailOps/Postfix' = if ($m -and $p) { [Math]::Round($m / $p, 2) } else { $null }
        MailOpsPeakMiB    = if ($by.ContainsKey('MailOps')) { $by['MailOps'].PeakMemMiB } else { $null }
    }
}
$summary | Format-Table -AutoSize | Out-String -Width 200 | Out-Host
$failed = @($results | Where-Object Error)

New-Item -ItemType Directory -Force $OutputDirectory | Out-Null
$stamp = $startedAt.ToString('yyyyMMdd-HHmmss')
$meta = [ordered]@{
    StartedAt     = $startedAt.ToString('o')
    Cores         = [Environment]::ProcessorCount
    LoadAvgBefore = $loadBefore
    LoadAvgAfter  = (Get-Content /proc/loadavg -Raw).Trim()
    Postfix       = (& postconf -d -h mail_version 2>$null)
    Dotnet        = [Environment]::Version.ToString()
    WarmupCount   = $WarmupCount
    Method        = 'smtp-source -> relay on 127.0.0.1 -> smtp-sink (relay host by address); time from smtp-source start until smtp-sink has counted every message; fresh relay and sink per cell after a warm-up.'
}
$json = Join-Path $OutputDirectory "relay-bench-$stamp.json"
[ordered]@{ Meta = $meta; Summary = @($summary); Cells = @($results) } | ConvertTo-Json -Depth 6 | Set-Content $json
$md = [System.Text.StringBuilder]::new()
[void]$md.AppendLine("# Relay benchmark, $($startedAt.ToString('yyyy-MM-dd HH:mm'))").AppendLine()
[void]$md.AppendLine("$($meta.Cores) cores, load average before $($meta.LoadAvgBefore), after $($meta.LoadAvgAfter); Postfix $($meta.Postfix); .NET $($meta.Dotnet). $($meta.Method)").AppendLine()
[void]$md.AppendLine('| KiB | msgs | sessions | MailOps msg/s | Postfix msg/s | MailOps/Postfix | MailOps peak MiB |')
[void]$md.AppendLine('|---:|---:|---:|---:|---:|---:|---:|')
foreach ($s in $summary) {
    [void]$md.AppendLine("| $($s.SizeKiB) | $($s.Messages) | $($s.Sessions) | $($s.MailOpsMsgPerSec) | $($s.PostfixMsgPerSec) | $($s.'MailOps/Postfix') | $($s.MailOpsPeakMiB) |")
}
if ($failed) {
    [void]$md.AppendLine().AppendLine('Failed cells:').AppendLine()
    foreach ($f in $failed) { [void]$md.AppendLine("- $($f.Server) $($f.SizeKiB) KiB x$($f.Sessions): $($f.Error)") }
}
Set-Content ([IO.Path]::ChangeExtension($json, '.md')) $md.ToString()
Write-Host "Results: $json, $([IO.Path]::ChangeExtension($json, '.md'))"
if ($failed) { exit 1 }
exit 0
