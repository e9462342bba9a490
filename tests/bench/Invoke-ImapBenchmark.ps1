#!/usr/bin/env pwsh
<#
.SYNOPSIS
    IMAP benchmark: MailOps vs Debian's Dovecot serving copies of the same Maildir, driven by our MailKit load tool.
.DESCRIPTION
    Seeds one Maildir with -Messages messages (appended over our IMAP), copies it, and serves one copy with the bundled
    server (its own pwsh process, Start-MailServer -Foreground with an IMAP listener) and the other with a private
    Dovecot. For each -Clients count, tests/bench/ImapLoad.cs (MailKit, compiled here with Add-Type) runs the same
    workload against each: every client logs in, then -Rounds times SELECT, FETCH of 20 envelopes, FETCH of one body,
    STORE, SEARCH, APPEND and EXPUNGE of what it appended, after -WarmupRounds unmeasured rounds against each. A command
    that fails (a FETCH of a message another client just expunged) is counted as an ERROR row and the client goes on
    with its next round. Reports operations per second and latency percentiles per command for both, and the ratio. Needs root (Dovecot's mail user) and a built module (build.ps1 Bench builds it).

    Then the IDLE phase: -IdleConnections (10,000) logged-in connections, each with SELECT INBOX and IDLE, spread over
    -SourceAddresses 127.0.0.x (loopback has about 28,000 ephemeral ports per source address), held against each server
    in turn (ImapIdleFleet in ImapLoad.cs, raw sockets). Reported per server: the resident memory before and with the
    connections (MailOps: its one process; Dovecot: the sum over its master and every child, one imap process per
    connection, as RSS and as PSS, where shared pages are divided among the processes), the growth per connection in
    KiB, how many connections opened and stayed connected, and how many received an untagged EXISTS within
    -IdleWaitSeconds after one message is delivered at the end (to MailOps over its SMTP listener, to Dovecot with
    dovecot-lda). Dovecot's service limits are raised for it (default_client_limit, imap-login's client_limit and
    process_limit, imap's process_limit, mail_max_userip_connections), and MailOps's (maxConnections,
    maxConnectionsPerClient, maxUserIpConnections 0). Dovecot's imap processes share the uid's 128 inotify instances
    (fs.inotify.max_user_instances, not changed here), so most of them find new mail by polling every 30 s.
.EXAMPLE
    dotnet pwsh ./tests/bench/Invoke-ImapBenchmark.ps1 -Clients 1, 10 -Rounds 100
.EXAMPLE
    dotnet pwsh ./tests/bench/Invoke-ImapBenchmark.ps1 -IdleOnly -IdleConnections 10000
#>
[CmdletBinding()]
param(
    # Concurrent IMAP clients per cell.
    [int[]] $Clients = @(1, 10),
    # Rounds of the workload per client.
    [int] $Rounds = 100,
    # Rounds of the same workload run first against each server (2 clients) and not measured: a server that has been
    # running a while, as in production (Dovecot's indexes and caches built; MailOps's code through the JIT's optimizing
    # tier, which takes a few thousand commands: with 20 rounds its p95 latencies were 3-5 times its p50s from tiering).
    [int] $WarmupRounds = 150,
    # Messages in the seeded INBOX.
    [int] $Messages = 300,
    # MailOps IMAP on BasePort, its SMTP on BasePort+1, Dovecot IMAP on BasePort+2 (all 127.0.0.1).
    [int] $BasePort = 40143,
    # Connections held in IDLE at once against each server in the IDLE phase; 0 skips the phase.
    [int] $IdleConnections = 10000,
    # Only the IDLE phase (the load phase's -Clients cells are skipped).
    [switch] $IdleOnly,
    # How long the IDLE connections may take to report the delivered message (Dovecot polls every 30 s without inotify).
    [int] $IdleWaitSeconds = 150,
    # Source addresses the IDLE connections are spread over.
    [string[]] $SourceAddresses = @('127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'),
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../MailOps.psd1'),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../results/bench')
)

# BenchSupport: /proc readers (Read-ProcStatus, Read-Pss, Get-Descendants) and how to start pwsh as the server process.
$SizeKiB = @(); $Count = @()
. (Join-Path $PSScriptRoot 'BenchSupport.ps1')
if ((id -u) -ne '0') { throw 'The IMAP benchmark starts a private Dovecot with its own mail user: run it as root.' }
$ModulePath = (Resolve-Path $ModulePath).Path
$bin = Join-Path (Split-Path $ModulePath) 'module/bin/deps'
if (-not (Test-Path (Join-Path $bin 'MailKit.dll'))) { throw "MailOps is not built: run 'dotnet pwsh ./build.ps1 Build' first." }
Add-Type -Path (Join-Path $bin 'MimeKit.dll'), (Join-Path $bin 'MailKit.dll')
Add-Type -TypeDefinition (Get-Content -Raw (Join-Path $PSScriptRoot 'ImapLoad.cs')) -ReferencedAssemblies (Join-Path $bin 'MimeKit.dll'), (Join-Path $bin 'MailKit.dll'), 'System.Collections', 'System.Collections.Concurrent', 'System.Linq', 'System.Threading', 'System.Threading.Thread', 'System.Runtime', 'System.Net.Sockets', 'System.Net.Primitives', 'System.Net.Security', 'System.Threading.Tasks', 'netstandard'

$work = Join-Path ([IO.Path]::GetTempPath()) ('mailops-imap-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
& chmod 755 $work
Push-Location (Split-Path $ModulePath)
$started = @()
try {
    # MailOps: a configuration with one IMAP listener (and the SMTP listener every server has), plaintext on loopback.
    $config = Join-Path $work 'server.jsonc'
    $setup = @"
Import-Module '$ModulePath'
`$c = New-MailServerConfig '$config' -DataPath '$work/mailops' -Hostname bench.test
(Get-Content `$c -Raw) -replace '"maxConnections": \d+', '"maxConnections": $($IdleConnections + 1000)' -replace '"maxConnectionsPerClient": \d+', '"maxConnectionsPerClient": $($IdleConnections + 1000)' -replace '"maxUserIpConnections": \d+', '"maxUserIpConnections": 0' -replace '"localhost.localdomain"', '"bench.test"' -replace '(?s)"listeners": \[.*?\],', '"listeners": [ { "kind": "Mta", "address": "127.0.0.1:$($BasePort + 1)" }, { "kind": "Imap", "address": "127.0.0.1:$BasePort" } ],' -replace '"allowPlaintextAuthOnLoopback": false', '"allowPlaintextAuthOnLoopback": true' -replace '"mailOwner": null', '"mailOwner": "mail"' | Set-Content `$c
New-MailUser -Address bench@bench.test -Password (ConvertTo-SecureString 'bench' -AsPlainText -Force) -ConfigPath `$c | Out-Null
"@
    $setupArgs = @($PwshArgs) + @('-NoProfile', '-Command', $setup)
    & $PwshExe @setupArgs
    if ($LASTEXITCODE -ne 0) { throw 'Setting up the MailOps configuration failed.' }
    # pwsh.dll under this dotnet, not the tool shim: one process, whose memory is the server's.
    # The service environment docs/Start-MailServer.md recommends ($ServiceEnvironment in BenchSupport.ps1).
    foreach ($name in $ServiceEnvironment.Keys) { [Environment]::SetEnvironmentVariable($name, $ServiceEnvironment[$name]) }
    $server = Start-Process $PwshExe -ArgumentList (@($PwshArgs) + @('-NoProfile', '-Command', "Import-Module '$ModulePath'; Start-MailServer -ConfigPath '$config' -Name bench -Foreground")) -PassThru -RedirectStandardOutput (Join-Path $work 'server.out') -RedirectStandardError (Join-Path $work 'server.err')
    $started += $server
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ($true) {
        try { [Net.Sockets.TcpClient]::new('127.0.0.1', $BasePort).Dispose(); break } catch { if ([DateTime]::UtcNow -gt $deadline) { throw 'MailOps did not start listening.' }; Start-Sleep -Milliseconds 200 }
    }

    # Seed the INBOX over our IMAP, then copy the Maildir for Dovecot (same files, UIDs and UIDVALIDITY).
    $seeder = [MailKit.Net.Imap.ImapClient]::new()
    $seeder.Connect('127.0.0.1', $BasePort, [MailKit.Security.SecureSocketOptions]::None)
    $seeder.Authenticate('bench@bench.test', 'bench')
    for ($i = 0; $i -lt $Messages; $i++) {
        $m = [MimeKit.MimeMessage]::new()
        $m.From.Add([MimeKit.MailboxAddress]::Parse("sender$($i % 17)@example.org"))
        $m.To.Add([MimeKit.MailboxAddress]::Parse('bench@bench.test'))
        $m.Subject = "load $($i % 100) message $i"
        $body = [MimeKit.TextPart]::new('plain')
        $body.Text = ("line $i " * 40 + "`n") * (1 + $i % 20)
        $m.Body = $body
        $seeder.Inbox.Append([MailKit.AppendRequest]::new($m), [Threading.CancellationToken]::None) | Out-Null
    }
    $seeder.Disconnect($true)
    $maildir = Join-Path $work 'mailops/mail/bench.test/bench/Maildir'
    $copy = Join-Path $work 'dovecot-mail'
    & cp -a $maildir $copy
    & chown -R mail:mail $copy

    $dovecotDir = Join-Path $work 'dovecot'
    New-Item -ItemType Directory $dovecotDir | Out-Null
    "bench:{PLAIN}bench:8:8::$copy::userdb_mail=maildir:$copy" | Set-Content (Join-Path $dovecotDir 'passwd')
    @"
protocols = imap
listen = 127.0.0.1
base_dir = $dovecotDir/run
state_dir = $dovecotDir/state
log_path = $dovecotDir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_max_userip_connections = $($IdleConnections + 1000)
default_client_limit = $($IdleConnections + 1000)
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = 8
mail_gid = 8
first_valid_uid = 8
first_valid_gid = 8
passdb {
  driver = passwd-file
  args = $dovecotDir/passwd
}
userdb {
  driver = passwd-file
  args = $dovecotDir/passwd
}
service imap-login {
  inet_listener imap {
    port = $($BasePort + 2)
  }
  inet_listener imaps {
    port = 0
  }
  client_limit = $($IdleConnections + 1000)
  process_limit = 1024
}
service imap {
  process_limit = $($IdleConnections + 1000)
}
"@ | Set-Content (Join-Path $dovecotDir 'dovecot.conf')
    $dovecot = Start-Process dovecot -ArgumentList '-F', '-c', (Join-Path $dovecotDir 'dovecot.conf') -PassThru
    $started += $dovecot
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        try { [Net.Sockets.TcpClient]::new('127.0.0.1', $BasePort + 2).Dispose(); break } catch { if ([DateTime]::UtcNow -gt $deadline) { throw 'Dovecot did not start listening.' }; Start-Sleep -Milliseconds 200 }
    }

    if (-not $IdleOnly -and $WarmupRounds -gt 0) {
        foreach ($target in @(@{ Port = $BasePort; User = 'bench@bench.test' }, @{ Port = $BasePort + 2; User = 'bench' })) {
            [ImapLoad]::Run('127.0.0.1', $target.Port, $target.User, 'bench', 2, $WarmupRounds, 99) | Out-Null
        }
    }
    $rows = foreach ($n in $(if ($IdleOnly) { @() } else { $Clients })) {
        foreach ($target in @(@{ Server = 'MailOps'; Port = $BasePort; User = 'bench@bench.test' }, @{ Server = 'Dovecot'; Port = $BasePort + 2; User = 'bench' })) {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $latencies = [ImapLoad]::Run('127.0.0.1', $target.Port, $target.User, 'bench', $n, $Rounds, 17)
            $seconds = $watch.Elapsed.TotalSeconds
            foreach ($name in $latencies.Keys | Sort-Object) {
                $sorted = @($latencies[$name] | Sort-Object)
                [pscustomobject]@{
                    Clients = $n; Server = $target.Server; Command = $name; Count = $sorted.Count
                    OpsPerSecond = [Math]::Round($sorted.Count / $seconds, 1)
                    P50Ms = [Math]::Round($sorted[[int][Math]::Floor(($sorted.Count - 1) * 0.50)], 2)
                    P95Ms = [Math]::Round($sorted[[int][Math]::Floor(($sorted.Count - 1) * 0.95)], 2)
                    P99Ms = [Math]::Round($sorted[[int][Math]::Floor(($sorted.Count - 1) * 0.99)], 2)
                }
            }
        }
    }
    $rows | Format-Table -AutoSize | Out-Host
    $rows | Where-Object Command -like 'ERROR*' | ForEach-Object { Write-Warning "$($_.Server), $($_.Clients) clients: $($_.Count) x $($_.Command)" }
    $ratios = foreach ($group in $rows | Group-Object Clients, Command) {
        $ours = $group.Group | Where-Object Server -eq 'MailOps'
        $theirs = $group.Group | Where-Object Server -eq 'Dovecot'
        if ($null -eq $ours -or $null -eq $theirs) { continue }
        [pscustomobject]@{ Clients = $ours.Clients; Command = $ours.Command; MailOpsP50Ms = $ours.P50Ms; DovecotP50Ms = $theirs.P50Ms
            OpsRatio = if ($theirs.OpsPerSecond) { [Math]::Round($ours.OpsPerSecond / $theirs.OpsPerSecond, 2) } else { $null } }
    }
    $ratios | Format-Table -AutoSize | Out-Host

    # The IDLE phase: memory with N idle connections, and whether all of them hear one delivery.
    function Measure-ServerMemory([int] $RootPid) {
        $rss = 0L; $pss = 0L; $processes = 0
        foreach ($id in Get-Descendants $RootPid) {
            $status = Read-ProcStatus $id
            if ($null -eq $status) { continue }
            $rss += $status.VmRSS; $pss += Read-Pss $id; $processes++
        }
        return @{ RssKiB = $rss; PssKiB = $pss; Processes = $processes }
    }
    $idleRows = @()
    if ($IdleConnections -gt 0) {
        $targets = @(
            @{ Server = 'MailOps'; Port = $BasePort; User = 'bench@bench.test'; Pid = $server.Id
               Deliver = {
                   $smtp = [MailKit.Net.Smtp.SmtpClient]::new()
                   $smtp.Connect('127.0.0.1', $BasePort + 1, [MailKit.Security.SecureSocketOptions]::None)
                   $m = [MimeKit.MimeMessage]::new(); $m.From.Add([MimeKit.MailboxAddress]::Parse('idle@example.org')); $m.To.Add([MimeKit.MailboxAddress]::Parse('bench@bench.test'))
                   $m.Subject = 'for every IDLE connection'; $text = [MimeKit.TextPart]::new('plain'); $text.Text = 'hello'; $m.Body = $text
                   $smtp.Send($m) | Out-Null; $smtp.Disconnect($true)
               } }
            @{ Server = 'Dovecot'; Port = $BasePort + 2; User = 'bench'; Pid = $dovecot.Id
               Deliver = {
                   "From: idle@example.org`nTo: bench`nSubject: for every IDLE connection`n`nhello`n" | & /usr/lib/dovecot/dovecot-lda -c (Join-Path $dovecotDir 'dovecot.conf') -d bench -f idle@example.org
                   if ($LASTEXITCODE -ne 0) { throw "dovecot-lda failed ($LASTEXITCODE)" }
               } })
        $idleRows = foreach ($target in $targets) {
            [GC]::Collect()
            Start-Sleep -Seconds 2
            $before = Measure-ServerMemory $target.Pid
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $fleet = [ImapIdleFleet]::Open('127.0.0.1', $target.Port, $target.User, 'bench', $IdleConnections, $SourceAddresses, 32)
            $openSeconds = $watch.Elapsed.TotalSeconds
            try {
                Start-Sleep -Seconds 10   # settle: logins done, processes forked, nothing else happening
                $with = Measure-ServerMemory $target.Pid
                $connectedBefore = $fleet.Connected
                $watch.Restart()
                & $target.Deliver
                $fleet.WaitForExists([TimeSpan]::FromSeconds($IdleWaitSeconds))
                $existsSeconds = $watch.Elapsed.TotalSeconds
                $opened = $fleet.Idling
                [pscustomobject]@{
                    Server = $target.Server; Requested = $IdleConnections; Opened = $opened
                    ConnectedBeforeDelivery = $connectedBefore; ConnectedAfter = $fleet.Connected; GotExists = $fleet.WithExists
                    Processes = $with.Processes
                    RssBeforeMiB = [Math]::Round($before.RssKiB / 1024, 1); RssMiB = [Math]::Round($with.RssKiB / 1024, 1); PssMiB = [Math]::Round($with.PssKiB / 1024, 1)
                    RssPerConnectionKiB = if ($opened) { [Math]::Round(($with.RssKiB - $before.RssKiB) / $opened, 1) } else { $null }
                    PssPerConnectionKiB = if ($opened) { [Math]::Round(($with.PssKiB - $before.PssKiB) / $opened, 1) } else { $null }
                    OpenSeconds = [Math]::Round($openSeconds, 1); ExistsSeconds = [Math]::Round($existsSeconds, 1)
                    Errors = @($fleet.Errors | Group-Object | Sort-Object Count -Descending | Select-Object -First 3 | ForEach-Object { "$($_.Count) x $($_.Name)" }) -join '; '
                }
            }
            finally {
                $fleet.Dispose()
                Start-Sleep -Seconds 5   # the server ends the sessions (Dovecot's imap processes exit)
            }
        }
        $idleRows | Format-List | Out-Host
    }

    New-Item -ItemType Directory -Force $OutputDirectory | Out-Null
    $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ')
    @{ Messages = $Messages; Rounds = $Rounds; Rows = $rows; Ratios = $ratios; Idle = $idleRows } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $OutputDirectory "imap-bench-$stamp.json")
    (@('| Clients | Command | MailOps p50 ms | Dovecot p50 ms | ops ratio (MailOps/Dovecot) |', '| --- | --- | --- | --- | --- |') +
        ($ratios | ForEach-Object { "| $($_.Clients) | $($_.Command) | $($_.MailOpsP50Ms) | $($_.DovecotP50Ms) | $($_.OpsRatio) |" }) + @('',
        '| Server | IDLE connections (opened) | still connected | got EXISTS | processes | RSS MiB (before) | PSS MiB | RSS KiB per connection | PSS KiB per connection |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |') +
        ($idleRows | ForEach-Object { "| $($_.Server) | $($_.Requested) ($($_.Opened)) | $($_.ConnectedAfter) | $($_.GotExists) | $($_.Processes) | $($_.RssMiB) ($($_.RssBeforeMiB)) | $($_.PssMiB) | $($_.RssPerConnectionKiB) | $($_.PssPerConnectionKiB) |" })) |
        Set-Content (Join-Path $OutputDirectory "imap-bench-$stamp.md")
}
finally {
    # The whole tree: dotnet's tool shim starts pwsh, which is the server; Dovecot's master has its children.
    foreach ($p in $started) { if (-not $p.HasExited) { $p.Kill($true); $p.WaitForExit(10000) | Out-Null } }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    Pop-Location
}
