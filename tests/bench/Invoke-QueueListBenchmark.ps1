#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Queue listing benchmark: MailOps Get-MailQueue on the bundled server's queue vs Postfix's postqueue -j, same queue size.
.DESCRIPTION
    Fills two queues with -QueueSize messages of about 1 KiB each, each in its fastest honest way, and times the fills
    separately from the listings:

      MailOps   the queue files written through the engine's own API (MailQueue.BeginMessage, QueuedMessageWriter.CommitAsync
                into hold/, with the same two fsyncs per message the server does when it answers 250), in one pwsh loop.
      Postfix   a private Postfix instance whose smtpd puts every message on hold (check_client_access static:HOLD),
                filled by smtp-source over 127.0.0.1 (10 sessions); done when hold/ has -QueueSize files.

    Then each listing is timed -Repeat times, every run in a fresh process after the fill (page cache warm for both):
    `postqueue -c <conf> -j` (output to a file, counted), and Get-MailQueue -ConfigPath on the stopped bundled server's
    queue (its files are read; the module is imported before the clock starts; objects counted with Measure-Object), the
    first call in that process and, apart, a second call in the same process (code already compiled).
    For reference it also times Get-MailQueue -ConfigDirectory on the Postfix queue (postqueue -j plus our parsing).
    Reports the median seconds, the ratio postqueue/MailOps, and the fill times.

    Needs root (a private Postfix) and smtp-source in /usr/sbin; the module must be built (build.ps1 Bench builds it).
    Results: a table, and queuelist-bench-<time>.json and .md under -OutputDirectory.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Benchmark QueueList
.EXAMPLE
    dotnet pwsh ./tests/bench/Invoke-QueueListBenchmark.ps1 -QueueSize 10000
#>
[CmdletBinding()]
param(
    # Messages in each queue.
    [int] $QueueSize = 100000,
    # Timed listings of each kind (the median is reported).
    [int] $Repeat = 3,
    # Postfix's smtpd listens here (127.0.0.1).
    [int] $BasePort = 40225,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../MailOps.psd1'),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../results/bench'),
    # Keep the scratch directory (queues, logs) for inspection.
    [switch] $KeepWork
)

# BenchSupport checks its smtp benchmarks' -SizeKiB and -Count pairs: one pair here.
$SizeKiB = @(1); $Count = @($QueueSize)
. (Join-Path $PSScriptRoot 'BenchSupport.ps1')
$Count = $QueueSize
Import-Module $ModulePath
if ((id -u) -ne '0') { throw 'The queue listing benchmark starts a private Postfix instance: run it as root.' }
$Domain = 'bench.test'
$MemorySampleMs = 200
. (Join-Path $PSScriptRoot 'BenchReport.ps1')
$startedAt = [DateTime]::Now
$loadBefore = (Get-Content /proc/loadavg -Raw).Trim()
$Work = Join-Path ([IO.Path]::GetTempPath()) ("mailops-queuelist-bench-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $Work | Out-Null


# A fresh pwsh like this one: under the dotnet muxer, its pwsh.dll.
$pwsh = [Environment]::ProcessPath
$pwshArgs = @(if ([IO.Path]::GetFileName($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })

# Runs $Script in a fresh pwsh with the module imported; the script prints "<seconds> <count>".
function Invoke-Timed([string] $Script) {
    $command = "Import-Module '$ModulePath'; $Script"
    $out = & $pwsh @pwshArgs -NoProfile -NonInteractive -Command $command
    if ($LASTEXITCODE -ne 0) { throw "Timed run failed: $out" }
    $parts = (@($out)[-1]).Split(' ')
    $inv = [Globalization.CultureInfo]::InvariantCulture
    [pscustomobject]@{ Seconds = [double]::Parse($parts[0], $inv); Count = [long]$parts[1]; Warm = if ($parts.Count -gt 2) { [double]::Parse($parts[2], $inv) } else { 0.0 } }
}

try {
    # --- MailOps: queue files through the engine's writer.
    $mailopsDir = Join-Path $Work 'mailops'
    $config = New-MailServerConfig (Join-Path $mailopsDir 'server.jsonc') -DataPath (Join-Path $mailopsDir 'data') -Force
    $fill = @"
`$queue = [MailOps.Engine.Queue.MailQueue]::new('$((Join-Path $mailopsDir 'data/queue'))')
`$body = [Text.Encoding]::ASCII.GetBytes("From: sender@$Domain``r``nTo: sink@remote.test``r``nSubject: bench``r``n``r``n" + ('x' * 1000) + "``r``n")
`$sw = [Diagnostics.Stopwatch]::StartNew()
for (`$i = 0; `$i -lt $Count; `$i++) {
    `$writer = `$queue.BeginMessage()
    `$writer.Content.Write(`$body, 0, `$body.Length)
    `$envelope = [MailOps.Engine.Queue.Envelope]@{ Sender = "sender`$i@$Domain"; ArrivalTime = [DateTimeOffset]::UtcNow; ClientAddress = '127.0.0.1' }
    `$envelope.Recipients.Add([MailOps.Engine.Queue.EnvelopeRecipient]@{ Address = 'sink@remote.test' })
    `$writer.CommitAsync(`$envelope, [Threading.CancellationToken]::None, 'Hold').GetAwaiter().GetResult()
    `$writer.DisposeAsync().AsTask().GetAwaiter().GetResult()
}
"{0} {1}" -f `$sw.Elapsed.TotalSeconds.ToString([Globalization.CultureInfo]::InvariantCulture), $Count
"@
    Write-Host "Filling the MailOps queue with $Count messages ... " -NoNewline
    $mailopsFill = Invoke-Timed $fill
    Write-Host ("{0:N1} s" -f $mailopsFill.Seconds)

    # --- Postfix: smtpd holds every message; smtp-source fills it.
    $pf = Start-PostfixInstance (Join-Path $Work 'postfix') $BasePort 'smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject_unauth_destination'
    $holdDir = Join-Path $pf.Queue 'hold'
    Write-Host "Filling the Postfix queue with $Count messages (smtp-source, 10 sessions) ... " -NoNewline
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $source = Invoke-SmtpSource $BasePort $Count 10 1024 'sink@remote.test' (Join-Path $Work 'smtp-source')
    $deadline = [DateTime]::UtcNow.AddSeconds([Math]::Max(300, $Count / 50))
    while ((Get-FileCount $holdDir) -lt $Count) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Postfix holds only $(Get-FileCount $holdDir) of $Count messages." }
        Start-Sleep -Milliseconds 200
    }
    $postfixFill = $sw.Elapsed.TotalSeconds
    $source.WaitForExit()
    Write-Host ("{0:N1} s" -f $postfixFill)

    $postqueueRuns = @(); $mailopsRuns = @(); $mailopsWarmRuns = @(); $ourPostfixRuns = @()
    $listing = Join-Path $Work 'postqueue.json'
    for ($r = 0; $r -lt $Repeat; $r++) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & postqueue -c $pf.Conf -j > $listing
        if ($LASTEXITCODE -ne 0) { throw "postqueue -j failed ($LASTEXITCODE)" }
        $postqueueRuns += $sw.Elapsed.TotalSeconds
        $lines = [IO.File]::ReadLines($listing) | Measure-Object | Select-Object -ExpandProperty Count
        if ($lines -ne $Count) { throw "postqueue -j listed $lines of $Count messages." }
        # The first listing in a fresh process (what a script sees), then a second one in the same process (code already compiled).
        $ours = Invoke-Timed ("`$inv = [Globalization.CultureInfo]::InvariantCulture; `$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = (Get-MailQueue -ConfigPath '$config' | Measure-Object).Count; `$cold = `$sw.Elapsed.TotalSeconds; " +
            "`$sw.Restart(); `$null = (Get-MailQueue -ConfigPath '$config' | Measure-Object).Count; '{0} {1} {2}' -f `$cold.ToString(`$inv), `$n, `$sw.Elapsed.TotalSeconds.ToString(`$inv)")
        if ($ours.Count -ne $Count) { throw "Get-MailQueue listed $($ours.Count) of $Count messages." }
        $mailopsRuns += $ours.Seconds
        $mailopsWarmRuns += $ours.Warm
        $viaPostfix = Invoke-Timed "`$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = (Get-MailQueue -ConfigDirectory '$($pf.Conf)' | Measure-Object).Count; '{0} {1}' -f `$sw.Elapsed.TotalSeconds.ToString([Globalization.CultureInfo]::InvariantCulture), `$n"
        if ($viaPostfix.Count -ne $Count) { throw "Get-MailQueue -ConfigDirectory listed $($viaPostfix.Count) of $Count messages." }
        $ourPostfixRuns += $viaPostfix.Seconds
    }
    $row = [pscustomobject][ordered]@{
        Messages                   = $Count
        PostqueueSeconds           = [Math]::Round((Measure-Median $postqueueRuns), 3)
        MailOpsSeconds             = [Math]::Round((Measure-Median $mailopsRuns), 3)
        'Postqueue/MailOps'        = [Math]::Round((Measure-Median $postqueueRuns) / (Measure-Median $mailopsRuns), 2)
        MailOpsWarmSeconds         = [Math]::Round((Measure-Median $mailopsWarmRuns), 3)
        'Postqueue/MailOpsWarm'    = [Math]::Round((Measure-Median $postqueueRuns) / (Measure-Median $mailopsWarmRuns), 2)
        GetMailQueuePostfixSeconds = [Math]::Round((Measure-Median $ourPostfixRuns), 3)
        MailOpsFillSeconds         = [Math]::Round($mailopsFill.Seconds, 1)
        PostfixFillSeconds         = [Math]::Round($postfixFill, 1)
    }
    $row | Format-List | Out-String | Out-Host
}
finally {
    Stop-Everything
    if ($KeepWork) { Write-Host "Scratch kept: $Work" } else { Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue }
}

$meta = [ordered]@{
    StartedAt     = $startedAt.ToString('o')
    Cores         = [Environment]::ProcessorCount
    LoadAvgBefore = $loadBefore
    LoadAvgAfter  = (Get-Content /proc/loadavg -Raw).Trim()
    Postfix       = (& postconf -h mail_version)
    Dotnet        = [Environment]::Version.ToString()
    Method        = "Both queues hold $Count ~1 KiB messages in hold/. MailOps: Get-MailQueue -ConfigPath on the stopped server's queue files, in a fresh pwsh after Import-Module, objects counted. Postfix: postqueue -c <conf> -j to a file (showq reads the queue), lines counted. Median of $Repeat runs each; fills timed apart (MailOps through QueuedMessageWriter with its fsyncs, Postfix through smtp-source into a HOLD rule)."
}
Write-BenchReport -Directory $OutputDirectory -Name queuelist -Title 'Queue listing benchmark' -StartedAt $startedAt -Meta $meta -Row $row `
    -Conditions "$($meta.Cores) cores, load average before $($meta.LoadAvgBefore), after $($meta.LoadAvgAfter); Postfix $($meta.Postfix); .NET $($meta.Dotnet). $($meta.Method)" `
    -Columns ([ordered]@{ 'messages' = 'Messages'; 'postqueue -j s' = 'PostqueueSeconds'; 'Get-MailQueue (MailOps queue), first call s' = 'MailOpsSeconds'; 'postqueue/MailOps' = 'Postqueue/MailOps'; 'second call s' = 'MailOpsWarmSeconds'; 'postqueue/MailOps second' = 'Postqueue/MailOpsWarm'; 'Get-MailQueue -ConfigDirectory (Postfix) s' = 'GetMailQueuePostfixSeconds'; 'MailOps fill s' = 'MailOpsFillSeconds'; 'Postfix fill s' = 'PostfixFillSeconds' })
exit 0
