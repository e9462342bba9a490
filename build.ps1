#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and packages the MailOps module.
.DESCRIPTION
    Tasks:
      Run      build, then start the bundled mail server on its embedded loopback default in the foreground
               (Ctrl-C stops it).
      Build    (default) compile, assemble the module under module/bin, generate MAML help from docs/*.md.
               Afterwards `Import-Module ./MailOps.psd1` works from the repository root.
      Test     install what the tests need (apt-get when root, Pester and tool packages from NuGet), build,
               run the xunit projects and the Pester tests of the built module in a fresh pwsh, inside a network
               namespace with only loopback when possible; ends with `tests: N passed, N failed, N skipped`.
      Package  a versioned module folder out/MailOps/<version> that works from $env:PSModulePath.
      Bench    build, then the benchmarks under tests/bench (not part of Test; root; installs postfix when missing),
               each writing JSON and markdown under tests/results/bench. -Benchmark picks them (default: all):
                 Smtp   Invoke-SmtpBenchmark.ps1: Postfix's smtp-source drives MailOps, a private Postfix delivering
                        into Maildir, and smtp-sink (the ceiling) on 127.0.0.1, 1 KiB and 64 KiB messages at 1, 10
                        and 50 sessions; msg/s end to end, ratios and peak memory.
                 Relay  Invoke-RelayBenchmark.ps1: MailOps and Postfix relaying the same load to smtp-sink; msg/s
                        and the ratio.
                 Log    Invoke-LogBenchmark.ps1: Get-MailLogSummary vs pflogsumm on one generated 200 MB Postfix log
                        (-SizeMB); both times and the ratio.
                 QueueList  Invoke-QueueListBenchmark.ps1: listing a queue of 100,000 messages (-QueueSize): Get-MailQueue
                        on the bundled server's queue vs postqueue -j on a Postfix holding as many; both times, the
                        ratio, and the fill times apart.
                 HostQueue  Invoke-HostQueueBenchmark.ps1: Get-MailQueue -Session across 10 sshd+Postfix hosts
                        (-HostCount, -MessagesPerHost) vs `ssh host postqueue -j` host after host; times and ratios.
                 Imap   Invoke-ImapBenchmark.ps1: a MailKit load tool (tests/bench/ImapLoad) runs the same IMAP workload
                        against MailOps and Dovecot on copies of one Maildir; operations/s, latency percentiles, ratio;
                        then 10,000 (-IdleConnections) logged-in IDLE connections held against each: resident memory
                        (total and per connection), all still connected, all told EXISTS for one delivery.
               -BenchParameters passes parameters to each script that declares them (e.g. @{ Count = 500, 100 }).
      Clean    remove build output.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Test
.EXAMPLE
    dotnet pwsh -Command './build.ps1 Bench -BenchParameters @{ Count = 500, 100; Sessions = 1, 10 }'
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Benchmark Relay
.EXAMPLE
    dotnet pwsh -Command './build.ps1 Bench -Benchmark QueueList, HostQueue -BenchParameters @{ QueueSize = 10000; MessagesPerHost = 100 }'
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Run', 'Test', 'Package', 'Bench', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Bench only: which benchmarks to run.
    [ValidateSet('Smtp', 'Relay', 'Log', 'QueueList', 'HostQueue', 'Imap')]
    [string[]] $Benchmark = @('Smtp', 'Relay', 'Log', 'QueueList', 'HostQueue', 'Imap'),

    # Bench only: parameters for the benchmark scripts (Count, SizeKiB, Sessions, Server, SizeMB, QueueSize, HostCount,
    # MessagesPerHost, Repeat, ...); each script gets the
    # ones it declares.
    [hashtable] $BenchParameters = @{}
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$ModuleBin = Join-Path $Root 'module/bin'
$Out = Join-Path $Root 'out'
$Manifest = Import-PowerShellDataFile (Join-Path $Root 'MailOps.psd1')
$Version = $Manifest.ModuleVersion

function Invoke-Native {
    # Runs a native command (first argument) with the rest as its arguments; stops the build when it fails.
    # Plain $args, not a param block, so that arguments like -o are passed on rather than bound here.
    $file, $rest = $args
    & $file @rest
    if ($LASTEXITCODE -ne 0) { throw "$file $($rest -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    $publish = Join-Path $Out 'publish'
    if (Test-Path $publish) { Remove-Item $publish -Recurse -Force }
    Invoke-Native dotnet publish (Join-Path $Root 'src/MailOps.PowerShell/MailOps.PowerShell.csproj') -c $Configuration -o $publish --nologo -v quiet
    if (Test-Path $ModuleBin) { Remove-Item $ModuleBin -Recurse -Force }
    $deps = New-Item -ItemType Directory -Force (Join-Path $ModuleBin 'deps')
    # Only the cmdlet assembly sits where PowerShell loads it; the library and every dependency go to deps/,
    # where the module's own AssemblyLoadContext finds them (see ModuleInitializer.cs).
    Get-ChildItem $publish | ForEach-Object {
        if ($_.Name -like 'MailOps.PowerShell.*') {
            if ($_.Extension -in '.dll', '.pdb') { Copy-Item $_.FullName $ModuleBin }
        }
        elseif ($_.Extension -ne '.xml') { Copy-Item $_.FullName $deps -Recurse }
    }
    Import-Module (Join-Path $Root 'src/MailOps.PowerShell/Help/HelpMarkdown.psm1') -Force
    $helpDir = New-Item -ItemType Directory -Force (Join-Path $ModuleBin 'en-US')
    $pages = Get-ChildItem (Join-Path $Root 'docs') -Filter '*-*.md' | Where-Object { $_.BaseName -in $Manifest.CmdletsToExport }
    $missing = $Manifest.CmdletsToExport | Where-Object { $_ -notin $pages.BaseName }
    if ($missing) { throw "No help page in docs/ for: $($missing -join ', ')" }
    ConvertTo-MamlHelp -Path $pages.FullName -Destination (Join-Path $helpDir 'MailOps.PowerShell.dll-Help.xml')
    Copy-Item (Join-Path $Root 'docs/about_*.md') $helpDir -ErrorAction SilentlyContinue
    Get-ChildItem $helpDir -Filter 'about_*.md' | ForEach-Object {
        Move-Item $_.FullName (Join-Path $helpDir ($_.BaseName + '.help.txt')) -Force
    }
    Write-Host "Built module: Import-Module $(Join-Path $Root 'MailOps.psd1')"
}

function Install-TestPrerequisites {
    # What the tests start or call: a real DNS server, a validating resolver, zone signing, an independent DKIM verifier,
    # Postfix and Dovecot to compare with, the real clients (swaks, curl's POP3 and IMAP, Python's poplib and imaplib),
    # and OpenSSH's sshd (with sudo) for the host sessions.
    $needed = [ordered]@{
        'nsd'                  = 'nsd'
        'unbound'              = 'unbound'
        'ldns-signzone'        = 'ldnsutils'
        'openssl'              = 'openssl'
        'ip'                   = 'iproute2'
        'unshare'              = 'util-linux'
        '/usr/bin/python3'     = 'python3'
        '/usr/sbin/postfix'    = 'postfix'
        '/usr/sbin/dovecot'    = 'dovecot-core'
        '/usr/lib/dovecot/imap' = 'dovecot-imapd'
        '/usr/lib/dovecot/pop3' = 'dovecot-pop3d'
        '/usr/lib/dovecot/lmtp' = 'dovecot-lmtpd'
        'swaks'                = 'swaks'
        'curl'                 = 'curl'
        'pflogsumm'            = 'pflogsumm'
        '/usr/sbin/sshd'       = 'openssh-server'
        'ssh-keygen'           = 'openssh-client'
        'sudo'                 = 'sudo'
    }
    $missing = { param($what) if ($what.StartsWith('/')) { -not (Test-Path $what) } else { -not (Get-Command $what -ErrorAction SilentlyContinue) } }
    $packages = @($needed.GetEnumerator() | Where-Object { & $missing $_.Key } | ForEach-Object Value | Select-Object -Unique)
    $pythonHasDkim = $false
    if (Test-Path /usr/bin/python3) {
        & /usr/bin/python3 -c 'import dkim, dns.resolver' 2>$null
        $pythonHasDkim = $LASTEXITCODE -eq 0
    }
    if (-not $pythonHasDkim) { $packages += 'python3-dkim', 'python3-dnspython' }
    if ($packages.Count -gt 0) {
        if ((id -u) -eq '0') {
            Write-Host "Installing Debian packages: $($packages -join ' ')"
            $env:DEBIAN_FRONTEND = 'noninteractive'
            # Postfix asks how it is used; the tests run their own instances, so 'Local only' and no daemon.
            'postfix postfix/main_mailer_type select Local only' | debconf-set-selections
            'postfix postfix/mailname string mailops.test' | debconf-set-selections
            Invoke-Native apt-get update -qq
            Invoke-Native apt-get install -y -qq --no-install-recommends @packages
        }
        else { Write-Warning "Not root: cannot install $($packages -join ' '); tests that need them will fail." }
    }
    # Pester and the second DnsClient version for the isolation test come from NuGet.
    Invoke-Native dotnet restore (Join-Path $Root 'tests/tools/tools.csproj') --nologo -v quiet
}

function Get-NuGetPackageFolder {
    $line = dotnet nuget locals global-packages --list
    return ($line -replace '^global-packages:\s*', '').Trim()
}

function Invoke-Test {
    Install-TestPrerequisites
    Invoke-Build
    foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Filter '*.Tests.csproj' -Recurse -Depth 1) {
        Invoke-Native dotnet build $project.FullName -c $Configuration --nologo -v quiet
    }
    $results = Join-Path $Root 'tests/results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory $results | Out-Null
    $env:MAILOPS_NUGET_PACKAGES = Get-NuGetPackageFolder
    $env:MAILOPS_TEST_RESULTS = $results
    $env:MAILOPS_CONFIGURATION = $Configuration

    # Everything below runs with only loopback when we may create a network namespace: no test can reach beyond 127.0.0.0/8.
    $inner = Join-Path $Root 'tests/run-suites.sh'
    $isolated = (id -u) -eq '0' -and (Get-Command unshare -ErrorAction SilentlyContinue)
    if ($isolated) {
        & unshare -n -- bash $inner
    }
    else {
        Write-Warning 'Not root: running tests without a private network namespace.'
        & bash $inner
    }
    $suiteExit = $LASTEXITCODE

    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem $results -Filter '*.trx' -Recurse) {
        $counters = ([xml](Get-Content $trx.FullName -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $skipped += [int]$counters.notExecuted
    }
    $pesterSummary = Join-Path $results 'pester.json'
    if (Test-Path $pesterSummary) {
        $p = Get-Content $pesterSummary -Raw | ConvertFrom-Json
        $passed += $p.Passed; $failed += $p.Failed; $skipped += $p.Skipped
    }
    else { Write-Warning 'Pester wrote no summary.'; $failed++ }
    if ($suiteExit -ne 0 -and $failed -eq 0) { Write-Warning "The suites exited with $suiteExit."; $failed++ }
    Write-Host "tests: $passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Bench {
    # Postfix brings smtp-source and smtp-sink, pflogsumm is the log benchmark's reference, OpenSSH the host queue
    # benchmark's hosts and baseline; install them the way the tests do when missing.
    $packages = @(if (-not (Test-Path /usr/sbin/smtp-source)) { 'postfix' }) + @(if (-not (Test-Path /usr/sbin/pflogsumm)) { 'pflogsumm' }) +
        @(if ('HostQueue' -in $Benchmark -and -not (Test-Path /usr/sbin/sshd)) { 'openssh-server' }) + @(if ('HostQueue' -in $Benchmark -and -not (Test-Path /usr/bin/ssh)) { 'openssh-client' })
    if ($packages -and (id -u) -eq '0') {
        Write-Host "Installing Debian packages: $($packages -join ' ')"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        'postfix postfix/main_mailer_type select Local only' | debconf-set-selections
        'postfix postfix/mailname string mailops.test' | debconf-set-selections
        Invoke-Native apt-get update -qq
        Invoke-Native apt-get install -y -qq --no-install-recommends @packages
    }
    Invoke-Build
    $failed = @()
    foreach ($name in $Benchmark) {
        $script = Join-Path $Root "tests/bench/Invoke-${name}Benchmark.ps1"
        $declared = (Get-Command $script).Parameters.Keys
        $parameters = @{}
        foreach ($key in $BenchParameters.Keys) { if ($key -in $declared) { $parameters[$key] = $BenchParameters[$key] } }
        # In this process, so that the server processes it starts run on the same pwsh; it stops everything it starts.
        & $script @parameters
        if ($LASTEXITCODE -ne 0) { $failed += $name }
    }
    if ($failed) { throw "Benchmarks with failed cells: $($failed -join ', ')." }
}

function Invoke-Package {
    Invoke-Build
    $target = Join-Path $Out "MailOps/$Version"
    if (Test-Path $target) { Remove-Item $target -Recurse -Force }
    New-Item -ItemType Directory -Force $target | Out-Null
    Copy-Item (Join-Path $Root 'MailOps.psd1') $target
    $moduleOut = New-Item -ItemType Directory -Force (Join-Path $target 'module')
    Get-ChildItem (Join-Path $Root 'module') | Copy-Item -Destination $moduleOut -Recurse
    Write-Host "Packaged: $target (put $(Join-Path $Out 'MailOps')'s parent on `$env:PSModulePath and run Import-Module MailOps)"
}

function Invoke-Clean {
    foreach ($dir in $Out, $ModuleBin, (Join-Path $Root 'tests/results')) {
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    }
    Get-ChildItem $Root -Recurse -Directory -Include bin, obj | Where-Object { $_.FullName -notlike "$Root/.git*" } |
        Remove-Item -Recurse -Force
}

foreach ($t in $Task) {
    switch ($t) {
        'Build' { Invoke-Build }
        'Run' {
            Invoke-Build
            # A fresh pwsh, so the module is loaded from the files just built.
            & dotnet pwsh -NoProfile -Command "Import-Module '$(Join-Path $Root 'MailOps.psd1')'; Start-MailServer -Foreground"
        }
        'Test' { Invoke-Test }
        'Package' { Invoke-Package }
        'Bench' { Invoke-Bench }
        'Clean' { Invoke-Clean }
    }
}
