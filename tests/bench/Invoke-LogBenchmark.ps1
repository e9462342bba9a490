#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Log benchmark: Get-MailLogSummary vs Debian's pflogsumm on the same generated Postfix log.
.DESCRIPTION
    Generates a Postfix log of -SizeMB megabytes from the lines real Postfix runs wrote (module/samples/postfix-mx1.log
    and postfix-mx2.log, captured by module/samples/capture.sh: deliveries, relays, a local forward, LMTP, bounces,
    deferrals, rejects, a reject warning, header HOLD/DISCARD/REJECT): the captured dialogue is repeated with fresh queue
    ids, Message-IDs, sender and recipient addresses and advancing timestamps. Then it times, on that one file,
    pflogsumm (perl) and Get-MailLogSummary (in a fresh pwsh, the module imported before the clock starts), checks that
    both found the same totals, and prints both times and the ratio.

    Results: a table, and log-bench-<time>.json and .md under -OutputDirectory. Needs pflogsumm (apt-get install pflogsumm).
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Benchmark Log
.EXAMPLE
    dotnet pwsh ./tests/bench/Invoke-LogBenchmark.ps1 -SizeMB 20
#>
[CmdletBinding()]
param(
    # Size of the generated log in MB (10^6 bytes).
    [int] $SizeMB = 200,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../MailOps.psd1'),
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../results/bench'),
    # Keep the generated log for inspection.
    [switch] $KeepWork
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path $ModulePath).Path
$RepoRoot = Split-Path $ModulePath
if (-not (Test-Path (Join-Path $RepoRoot 'module/bin/MailOps.PowerShell.dll'))) { throw "MailOps is not built: run 'dotnet pwsh ./build.ps1 Build' first." }
if (-not (Test-Path /usr/sbin/pflogsumm)) { throw '/usr/sbin/pflogsumm is missing (apt-get install pflogsumm).' }
$OutputDirectory = [IO.Path]::GetFullPath($OutputDirectory)

Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

public static class MailLogBenchGenerator
{
    // Repeats the captured lines (timestamp cut off) as fresh messages until the file has targetBytes.
    public static long Write(string[] templates, string path, long targetBytes, DateTime start, int seed)
    {
        var ids = new List<string>();
        foreach (var line in templates)
            foreach (Match m in Regex.Matches(line, @"\b[0-9A-F]{10,11}\b"))
                if (!ids.Contains(m.Value)) ids.Add(m.Value);
        string[] people = { "alice@example.test", "bob@example.test", "zoe@far.test", "carol@lmtp.test", "dan@lmtp.test", "other@example.org", "sender@example.net", "Sender@Example.NET", "w@example.org" };
        var random = new Random(seed);
        var time = start;
        long written = 0, block = 0, lines = 0;
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" };
        var text = new StringBuilder();
        while (written < targetBytes)
        {
            block++;
            var map = new Dictionary<string, string>();
            foreach (var id in ids) map[id] = (0x10000000000L + block * 64 + map.Count).ToString("X11");
            var who = people.ToDictionary(p => p, p => p.Replace("@", (p.StartsWith("other") || p.StartsWith("sender") || p.StartsWith("Sender") || p.StartsWith("w@") ? random.Next(2000) : random.Next(300)).ToString() + "@")
                .Replace("example.org", "example" + random.Next(150) + ".org"));
            foreach (var template in templates)
            {
                text.Clear().Append(template);
                foreach (var id in ids) if (template.Contains(id)) text.Replace(id, map[id]);
                foreach (var p in people) if (template.Contains(p)) text.Replace("<" + p + ">", "<" + who[p] + ">");
                text.Replace("@example.org>", "." + block + "@example.org>");   // Message-IDs stay unique
                var line = time.ToString("MMM dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " " + text;
                writer.Write(line);
                writer.Write('\n');
                written += Encoding.UTF8.GetByteCount(line) + 1;
                lines++;
                if (lines % 7 == 0) time = time.AddSeconds(1);
            }
        }
        writer.Flush();
        File.SetLastWriteTime(path, time);
        return lines;
    }
}
'@

$work = Join-Path ([IO.Path]::GetTempPath()) ("mailops-log-bench-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $work | Out-Null
. (Join-Path $PSScriptRoot 'BenchReport.ps1')
$startedAt = Get-Date
$loadBefore = (Get-Content /proc/loadavg -Raw).Trim()
try {
    $samples = Join-Path $RepoRoot 'module/samples'
    # The mail of the captured runs, without the daemons' start and stop lines.
    $templates = foreach ($file in 'postfix-mx1.log', 'postfix-mx2.log') {
        Get-Content (Join-Path $samples $file) | Where-Object { $_ -notmatch 'postfix-script|master\[' } | ForEach-Object { $_.Substring(16) }
    }
    $log = Join-Path $work 'mail.log'
    $start = [DateTime]::new($startedAt.Year, 1, 1, 0, 0, 0)
    Write-Host "Generating $SizeMB MB of Postfix log from $(@($templates).Count) captured lines ... " -NoNewline
    $gen = [Diagnostics.Stopwatch]::StartNew()
    $lines = [MailLogBenchGenerator]::Write([string[]]$templates, $log, [long]$SizeMB * 1000000, $start, 20261128)
    $bytes = (Get-Item $log).Length
    Write-Host ("{0:N0} lines, {1:N1} MB in {2:N1} s" -f $lines, ($bytes / 1e6), $gen.Elapsed.TotalSeconds)

    # pflogsumm (perl), its output kept to compare the totals.
    $pflogsummOut = Join-Path $work 'pflogsumm.txt'
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & /usr/sbin/pflogsumm --smtpd-stats $log > $pflogsummOut
    if ($LASTEXITCODE -ne 0) { throw "pflogsumm failed ($LASTEXITCODE)" }
    $pflogsummSeconds = $sw.Elapsed.TotalSeconds

    # Get-MailLogSummary in a fresh pwsh: the module is imported before the clock starts, the summary is timed inside.
    $pwsh = [Environment]::ProcessPath
    $pwshArgs = if ([IO.Path]::GetFileName($pwsh) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
    $script = "Import-Module '$ModulePath'; `$sw = [Diagnostics.Stopwatch]::StartNew(); `$s = Get-MailLogSummary -Path '$log'; " +
        "[pscustomobject]@{ Seconds = `$sw.Elapsed.TotalSeconds; Received = `$s.Received; Delivered = `$s.Delivered; Deferred = `$s.Deferred; Bounced = `$s.Bounced; Rejected = `$s.Rejected; PeakMiB = [Math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB, 1) } | ConvertTo-Json -Compress"
    $pwshArgs = @($pwshArgs)
    $json = & $pwsh @pwshArgs -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "Get-MailLogSummary failed: $json" }
    $ours = $json | ConvertFrom-Json

    $report = Get-Content $pflogsummOut -Raw
    function Get-Total([string] $Label) {
        if ($report -notmatch "(?m)^\s*(\d+)([km ])\s+$([regex]::Escape($Label))\b") { return $null }
        [long]$Matches[1] * @{ 'k' = 1024; 'm' = 1048576; ' ' = 1 }[$Matches[2]]
    }
    $mismatch = @(foreach ($name in 'Received', 'Delivered', 'Deferred', 'Bounced', 'Rejected') {
            $theirs = Get-Total $name.ToLowerInvariant()
            if ($theirs -ne $ours.$name) { "$name pflogsumm $theirs, ours $($ours.$name)" }
        })
    $row = [pscustomobject][ordered]@{
        SizeMB               = [Math]::Round($bytes / 1e6, 1)
        Lines                = $lines
        PflogsummSeconds     = [Math]::Round($pflogsummSeconds, 2)
        MailOpsSeconds       = [Math]::Round($ours.Seconds, 2)
        'Pflogsumm/MailOps'  = [Math]::Round($pflogsummSeconds / $ours.Seconds, 1)
        MailOpsMBPerSec      = [Math]::Round($bytes / 1e6 / $ours.Seconds, 1)
        MailOpsPeakMiB       = $ours.PeakMiB
        Received             = $ours.Received
        SameTotals           = $mismatch.Count -eq 0
    }
    $row | Format-List | Out-String | Out-Host
    if ($mismatch) { Write-Warning "Totals differ: $($mismatch -join '; ')" }
}
finally {
    if ($KeepWork) { Write-Host "Scratch kept: $work" } else { Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue }
}

$meta = [ordered]@{
    StartedAt     = $startedAt.ToString('o')
    Cores         = [Environment]::ProcessorCount
    LoadAvgBefore = $loadBefore
    LoadAvgAfter  = (Get-Content /proc/loadavg -Raw).Trim()
    Pflogsumm     = (& dpkg-query -W -f '${Version}' pflogsumm 2>$null)
    Dotnet        = [Environment]::Version.ToString()
    Method        = 'One generated Postfix log (captured real lines repeated with fresh ids and addresses); wall time of pflogsumm --smtpd-stats, and of Get-MailLogSummary in a fresh pwsh after Import-Module; both on the same file, one after the other, page cache warm for both.'
}
Write-BenchReport -Directory $OutputDirectory -Name log -Title 'Log benchmark' -StartedAt $startedAt -Meta $meta -Row $row `
    -Conditions "$($meta.Cores) cores, load average before $($meta.LoadAvgBefore), after $($meta.LoadAvgAfter); pflogsumm $($meta.Pflogsumm); .NET $($meta.Dotnet). $($meta.Method)" `
    -Columns ([ordered]@{ 'MB' = 'SizeMB'; 'lines' = 'Lines'; 'pflogsumm s' = 'PflogsummSeconds'; 'Get-MailLogSummary s' = 'MailOpsSeconds'; 'pflogsumm/MailOps' = 'Pflogsumm/MailOps'; 'MailOps MB/s' = 'MailOpsMBPerSec'; 'MailOps peak MiB' = 'MailOpsPeakMiB'; 'same totals' = 'SameTotals' })
if (-not $row.SameTotals) { exit 1 }
exit 0
