# A private Debian Postfix for the Pester tests and benchmarks: its own config, queue and data directories under one
# temporary directory, maillog_file logging, no SMTP listener unless asked (mail comes in through its sendmail), every
# service out of the chroot, and a relay host on a loopback port nothing listens on, so that mail for other domains
# stays deferred until something listens there. The Pester twin of tests/MailOps.Engine.Tests/TestSupport/PostfixInstance.cs.
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1') -Global

function Start-TestPostfix {
    param([string] $Hostname = 'queue.test', [string[]] $ExtraMainCf = @(), [switch] $Smtp)
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('mailops-pester-pfq-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory "$dir/conf", "$dir/queue", "$dir/data" -Force | Out-Null
    & chmod 755 $dir
    & chown postfix:postfix "$dir/data"
    $relayPort = Get-FreePort
    $smtpPort = if ($Smtp) { Get-FreePort } else { 0 }
    @(
        'compatibility_level = 3.6'
        "queue_directory = $dir/queue"
        "data_directory = $dir/data"
        "maillog_file = $dir/maillog"
        "maillog_file_prefixes = $dir"
        "myhostname = $Hostname"
        'mydestination ='
        'inet_interfaces = 127.0.0.1'
        'inet_protocols = ipv4'
        'mynetworks = 127.0.0.0/8'
        'alias_maps ='
        'alias_database ='
        "relayhost = [127.0.0.1]:$relayPort"
        'smtp_connect_timeout = 2s'
    ) + $ExtraMainCf | Set-Content "$dir/conf/main.cf"
    $master = foreach ($line in Get-Content /etc/postfix/master.cf) {
        if ($line -match '^\s*(#|$)') { continue }
        $f = $line -split '\s+'
        if ($line -match '^\s' -or $f.Count -lt 8) { $line; continue }
        if ($f[0] -eq 'smtp' -and $f[1] -eq 'inet') { if (-not $Smtp) { continue }; $f[0] = "127.0.0.1:$smtpPort" }
        $f[4] = 'n'
        $f -join ' '
    }
    $master | Set-Content "$dir/conf/master.cf"
    $out = & postfix -c "$dir/conf" start 2>&1
    if ($LASTEXITCODE -ne 0) { throw "postfix start failed: $out" }
    [pscustomobject]@{ Directory = $dir; Conf = "$dir/conf"; RelayPort = $relayPort; SmtpPort = $smtpPort; Hostname = $Hostname }
}

function Stop-TestPostfix {
    param($Postfix)
    if (-not $Postfix) { return }
    & postfix -c $Postfix.Conf stop 2>&1 | Out-Null
    Remove-Item $Postfix.Directory -Recurse -Force -ErrorAction SilentlyContinue
}

# Queues one message through Postfix's sendmail (postdrop and pickup): From, To, Subject and a body.
function Send-TestPostfixMail {
    param($Postfix, [string] $From, [string] $To, [string] $Subject = 'queued', [string] $Body = 'hello from the queue tests')
    "From: $From`nTo: $To`nSubject: $Subject`n`n$Body" | & /usr/sbin/sendmail -C $Postfix.Conf -f $From $To
    if ($LASTEXITCODE -ne 0) { throw "sendmail failed for $From" }
}

# postqueue -j run directly: what the tests compare with.
function Get-TestPostfixQueue {
    param($Postfix)
    @(& postqueue -c $Postfix.Conf -j | Where-Object { $_ } | ConvertFrom-Json)
}

# Waits (at most 60 s) until the queue holds $Count messages, all deferred (each has had its failed attempt).
function Wait-TestPostfixDeferred {
    param($Postfix, [int] $Count)
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ($true) {
        $queue = Get-TestPostfixQueue $Postfix
        if ($queue.Count -eq $Count -and -not ($queue | Where-Object queue_name -ne 'deferred')) { return }
        if ([DateTime]::UtcNow -gt $deadline) { throw "Postfix in $($Postfix.Directory) did not defer $Count messages: $($queue | ConvertTo-Json -Compress)" }
        Start-Sleep -Milliseconds 200
    }
}

Export-ModuleMember -Function Start-TestPostfix, Stop-TestPostfix, Send-TestPostfixMail, Get-TestPostfixQueue, Wait-TestPostfixDeferred
