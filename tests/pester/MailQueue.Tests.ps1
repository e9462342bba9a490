# Get-MailQueue, Remove-/Suspend-/Resume-MailQueueMessage and Send-MailQueue as an administrator meets them in pwsh,
# against real servers started with Start-MailServer whose relay host (smtp-sink, or nothing) is on 127.0.0.1.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1')
    # A configuration on free ports, local domain example.test, everything else relayed to 127.0.0.1:<RelayPort>.
    function New-QueueConfig([string] $Dir) {
        $config = New-MailServerConfig (Join-Path $Dir 'server.jsonc') -DataPath $Dir -Hostname mx.example.test
        $ports = 1..4 | ForEach-Object { Get-FreePort }
        (Get-Content $config -Raw) -replace '"localhost.localdomain"', '"example.test"' -replace ':2525', ":$($ports[0])" -replace ':2587', ":$($ports[1])" -replace ':2465', ":$($ports[2])" `
            -replace '"relayHost": null', "`"relayHost`": `"[127.0.0.1]:$($ports[3])`"" -replace '"nameServers": \[\]', '"nameServers": [ "127.0.0.1:9" ]' |
            Set-Content $config
        [pscustomobject]@{ Path = $config.FullName; SmtpPort = $ports[0]; RelayPort = $ports[3]; Dir = $Dir }
    }
    function Send-TestMail($Cfg, [string] $From, [string[]] $To, [string] $Subject = 'test') {
        $client = [Net.Mail.SmtpClient]::new('127.0.0.1', $Cfg.SmtpPort)
        $message = [Net.Mail.MailMessage]::new()
        $message.From = $From
        foreach ($rcpt in $To) { $message.To.Add($rcpt) }
        $message.Subject = $Subject
        $message.Body = 'hello'
        try { $client.Send($message) } finally { $message.Dispose(); $client.Dispose() }
    }
    function Wait-Until([scriptblock] $Condition, [string] $What) {
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "timed out waiting until $What" }
            Start-Sleep -Milliseconds 100
        }
    }
    function Start-Sink($Cfg) {
        $dump = New-Item -ItemType Directory (Join-Path $Cfg.Dir "sink-$(Get-Random)")
        $process = Start-Process smtp-sink -ArgumentList '-u', 'root', '-d', "$dump/", "127.0.0.1:$($Cfg.RelayPort)", '100' -PassThru
        Wait-Until { try { [Net.Sockets.TcpClient]::new('127.0.0.1', $Cfg.RelayPort).Dispose(); $true } catch { $false } } 'smtp-sink listens'
        [pscustomobject]@{ Process = $process; Dump = $dump.FullName }
    }
}

Describe 'The queue cmdlets on a server of this session' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('queue-' + [guid]::NewGuid().ToString('N')))
        $cfg = New-QueueConfig $dir.FullName
        $server = Start-MailServer -ConfigPath $cfg.Path -Name pesterq
        $sinks = @()
    }
    AfterEach {
        Get-MailServer | Stop-MailServer -GraceSeconds 1
        foreach ($sink in $sinks) { Stop-Process -Id $sink.Process.Id -ErrorAction SilentlyContinue }
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'lists deferred mail as postqueue -j does, filtered by queue, sender, recipient, age and ID' {
        Send-TestMail $cfg 'promo@spam.test' 'carol@remote.test'
        Send-TestMail $cfg 'bob@example.test' 'dave@remote.test', 'erin@other.test'
        Wait-Until { @(Get-MailQueue -Server pesterq -Queue deferred).Count -eq 2 } 'both are deferred'

        $all = Get-MailQueue -Server pesterq
        $all.Count | Should -Be 2
        $all[0] | Should -BeOfType ([MailOps.Queue.MailQueueMessage])
        $spam = Get-MailQueue -Server pesterq -Sender '*@SPAM.test'
        $spam.Sender | Should -Be 'promo@spam.test'
        $spam.QueueName | Should -Be 'deferred'
        $spam.Recipients.Address | Should -Be 'carol@remote.test'
        $spam.Recipients.DelayReason | Should -Match "connect to 127\.0\.0\.1\[127\.0\.0\.1\]:$($cfg.RelayPort)"
        $spam.Attempts | Should -Be 1
        $spam.Size | Should -BeGreaterThan 100
        $spam.ComputerName | Should -Be ([Environment]::MachineName)
        $spam.Server | Should -Be 'pesterq'
        (Get-MailQueue -Server pesterq -Recipient 'erin@*').Sender | Should -Be 'bob@example.test'
        Get-MailQueue -Server pesterq -Queue hold | Should -BeNullOrEmpty
        Get-MailQueue -Server pesterq -OlderThan (New-TimeSpan -Hours 1) | Should -BeNullOrEmpty
        (Get-MailQueue $spam.QueueId -Server pesterq).QueueId | Should -Be $spam.QueueId
        # The same queue through its configuration file, and through the MailServer object.
        @(Get-MailQueue -ConfigPath $cfg.Path).Count | Should -Be 2
        @($server | Get-MailQueue).Count | Should -Be 2
        # The table view shows the queue like mailq.
        ($all | Out-String) | Should -Match 'QueueId\s+Queue\s+Size\s+ArrivalTime\s+Sender'
    }

    It 'removes exactly the spam with Get-MailQueue -Sender *@spam.test | Remove-MailQueueMessage -Confirm:$false' {
        Send-TestMail $cfg 'promo@spam.test' 'carol@remote.test'
        Send-TestMail $cfg 'offers@spam.test' 'dave@remote.test'
        Send-TestMail $cfg 'bob@example.test' 'erin@remote.test'
        Send-TestMail $cfg 'promo@spam.test.example' 'frank@remote.test'
        Wait-Until { @(Get-MailQueue -Server pesterq -Queue deferred).Count -eq 4 } 'all are deferred'

        # The queue this server runs on, as an administrator would set it for a session (never the machine's default queue).
        $PSDefaultParameterValues['Get-MailQueue:ConfigPath'] = $cfg.Path
        try {
            Get-MailQueue -Sender *@spam.test | Remove-MailQueueMessage -Confirm:$false
        }
        finally { $PSDefaultParameterValues.Remove('Get-MailQueue:ConfigPath') }

        (Get-MailQueue -Server pesterq).Sender | Sort-Object | Should -Be @('bob@example.test', 'promo@spam.test.example')
        (Get-Content (Join-Path $cfg.Dir 'logs/mail.log') -Raw) | Should -Match 'postsuper\[\d+\]: \w+: removed'
    }

    It 'changes nothing under -WhatIf' {
        Send-TestMail $cfg 'bob@example.test' 'carol@remote.test'
        Wait-Until { Get-MailQueue -Server pesterq -Queue deferred } 'the message is deferred'
        $before = Get-MailQueue -Server pesterq

        $before | Remove-MailQueueMessage -WhatIf
        $before | Suspend-MailQueueMessage -WhatIf
        $before | Send-MailQueue -WhatIf
        Send-MailQueue -Server pesterq -WhatIf

        $after = Get-MailQueue -Server pesterq
        $after.QueueId | Should -Be $before.QueueId
        $after.QueueName | Should -Be 'deferred'
        $after.Attempts | Should -Be $before.Attempts
        $after.NextAttempt | Should -Be $before.NextAttempt
        $before | Suspend-MailQueueMessage
        Get-MailQueue -Server pesterq -Queue hold | Resume-MailQueueMessage -WhatIf
        (Get-MailQueue -Server pesterq).QueueName | Should -Be 'hold'
    }

    It 'shows a queued message with its envelope, headers and body, and reports a missing one' {
        Send-TestMail $cfg 'bob@example.test' 'dave@remote.test', 'erin@other.test' -Subject 'Quarterly report'
        Wait-Until { @(Get-MailQueue -Server pesterq -Queue deferred).Count -eq 1 } 'it is deferred'
        $content = Get-MailQueue -Server pesterq | Get-MailQueueMessage
        $content | Should -BeOfType ([MailOps.Queue.MailQueueMessageContent])
        $content.Sender | Should -Be 'bob@example.test'
        $content.Recipients | Should -Be 'dave@remote.test', 'erin@other.test'
        $content.QueueName | Should -Be 'deferred'
        $content.Subject | Should -Be 'Quarterly report'
        $content.Body.Trim() | Should -Be 'hello'
        $content.Headers.Field | Should -Contain 'Received'
        $content.Size | Should -Be (Get-MailQueue -Server pesterq).Size
        Get-MailQueueMessage -Server pesterq -QueueId 4dVd2x0Kq7zRjb4B -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'MailQueueMessageNotFound,*'
    }

    It 'reports a bad queue ID as MailQueueMessageNotFound and still acts on the other pipeline items' {
        Send-TestMail $cfg 'bob@example.test' 'carol@remote.test'
        Send-TestMail $cfg 'bob@example.test' 'dave@remote.test'
        Wait-Until { @(Get-MailQueue -Server pesterq -Queue deferred).Count -eq 2 } 'both are deferred'
        $queued = Get-MailQueue -Server pesterq

        $held = @($queued[0], [pscustomobject]@{ QueueId = 'NoSuchQueueId1'; Server = 'pesterq' }, $queued[1]) |
            Suspend-MailQueueMessage -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue

        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailQueueMessageNotFound,*'
        $errs[0].TargetObject | Should -Be 'NoSuchQueueId1'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $held.QueueName | Should -Be @('hold', 'hold')
        (Get-MailQueue -Server pesterq).QueueName | Should -Be @('hold', 'hold')
        Get-MailQueue 'NoSuchQueueId1' -Server pesterq -ErrorVariable notFound -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $notFound[0].FullyQualifiedErrorId | Should -BeLike 'MailQueueMessageNotFound,*'
        $queued[0] | Resume-MailQueueMessage -PassThru | Resume-MailQueueMessage -ErrorVariable notHeld -ErrorAction SilentlyContinue
        $notHeld[0].FullyQualifiedErrorId | Should -BeLike 'MailQueueMessageNotHeld,*'
    }

    It 'keeps a held message when the destination comes up and the queue is flushed; released and flushed, it is delivered' {
        Send-TestMail $cfg 'bob@example.test' 'carol@remote.test' -Subject 'held one'
        Send-TestMail $cfg 'bob@example.test' 'dave@remote.test' -Subject 'other one'
        Wait-Until { @(Get-MailQueue -Server pesterq -Queue deferred).Count -eq 2 } 'both are deferred'
        $held = Get-MailQueue -Server pesterq -Recipient carol@remote.test | Suspend-MailQueueMessage -PassThru
        $held.QueueName | Should -Be 'hold'

        $sinks += ($sink = Start-Sink $cfg)
        $flushed = Send-MailQueue -Server pesterq -PassThru
        $flushed.Recipients.Address | Should -Be 'dave@remote.test'
        Wait-Until { @(Get-ChildItem $sink.Dump -File).Count -eq 1 } 'the other one is delivered'
        Wait-Until { -not (Get-MailQueue -Server pesterq -Queue deferred, active, incoming) } 'the other one left the queue'
        (Get-MailQueue -Server pesterq).QueueId | Should -Be $held.QueueId
        Get-ChildItem $sink.Dump -File | Get-Content -Raw | Should -Match 'Subject: other one'

        $released = $held | Resume-MailQueueMessage -PassThru
        $released.QueueName | Should -Be 'deferred'
        $released | Send-MailQueue
        Wait-Until { @(Get-ChildItem $sink.Dump -File).Count -eq 2 } 'the released one is delivered'
        Wait-Until { -not (Get-MailQueue -Server pesterq) } 'the queue is empty'
        (Get-ChildItem $sink.Dump -File | Get-Content -Raw) -join "`n" | Should -Match 'Subject: held one'
    }

    It 'returns a non-delivery notice to a local sender with Remove-MailQueueMessage -Dsn' {
        New-MailUser -Address bob@example.test -Password (ConvertTo-SecureString 'pw' -AsPlainText -Force) -ConfigPath $cfg.Path | Out-Null
        Send-TestMail $cfg 'bob@example.test' 'carol@remote.test' -Subject 'never mind'
        Wait-Until { Get-MailQueue -Server pesterq -Queue deferred } 'the message is deferred'

        Get-MailQueue -Server pesterq | Remove-MailQueueMessage -Dsn -Confirm:$false

        $new = Join-Path $cfg.Dir 'mail/example.test/bob/Maildir/new'
        Wait-Until { (Test-Path $new) -and @(Get-ChildItem $new).Count -eq 1 } 'the notice is in bob''s Maildir'
        $notice = Get-ChildItem $new | Get-Content -Raw
        $notice | Should -Match 'Subject: Undelivered Mail Returned to Sender'
        $notice | Should -Match 'Final-Recipient: rfc822; carol@remote.test'
        $notice | Should -Match 'removed from the queue by the mail administrator'
        $notice | Should -Match 'Subject: never mind'
        Wait-Until { -not (Get-MailQueue -Server pesterq) } 'the queue is empty'
    }
}

Describe 'The queue cmdlets on a server in another process and on a stopped server' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('queue-' + [guid]::NewGuid().ToString('N')))
        $cfg = New-QueueConfig $dir.FullName
    }
    AfterEach {
        if ($other -and -not $other.HasExited) { $other.Kill(); $other.WaitForExit() }
        Get-MailServer | Stop-MailServer -GraceSeconds 1
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'commands a server started with Start-MailServer -Foreground in another pwsh through -ConfigPath' {
        # pwsh itself (not `dotnet pwsh`, which would run it as a child), as a service manager would start it.
        $script = "Import-Module '$(Join-Path $root 'MailOps.psd1')'; Start-MailServer -Foreground -ConfigPath '$($cfg.Path)'"
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
        $other = Start-Process (Join-Path $PSHOME 'pwsh') -ArgumentList '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded -PassThru `
            -RedirectStandardOutput (Join-Path $cfg.Dir 'other.out') -RedirectStandardError (Join-Path $cfg.Dir 'other.err')
        Wait-Until { try { [Net.Sockets.TcpClient]::new('127.0.0.1', $cfg.SmtpPort).Dispose(); $true } catch { $false } } 'the other server listens'
        Send-TestMail $cfg 'promo@spam.test' 'carol@remote.test'
        Send-TestMail $cfg 'bob@example.test' 'dave@remote.test'
        Wait-Until { @(Get-MailQueue -ConfigPath $cfg.Path -Queue deferred).Count -eq 2 } 'both are deferred'
        Test-Path (Join-Path $cfg.Dir 'queue/public/queue-control') | Should -BeTrue

        Get-MailQueue -ConfigPath $cfg.Path -Sender *@spam.test | Remove-MailQueueMessage -Confirm:$false
        Get-MailQueue -ConfigPath $cfg.Path | Suspend-MailQueueMessage

        $left = Get-MailQueue -ConfigPath $cfg.Path
        $left.Sender | Should -Be 'bob@example.test'
        $left.QueueName | Should -Be 'hold'
        $left.Server | Should -BeNullOrEmpty
        $left.ConfigPath | Should -Be $cfg.Path
        # The other process's queue manager did it: its pid is in the postsuper lines.
        (Get-Content (Join-Path $cfg.Dir 'logs/mail.log') -Raw) | Should -Match "postsuper\[$($other.Id)\]: \w+: placed on hold"
    }

    It 'lists and changes the queue files of a stopped server' {
        Start-MailServer -ConfigPath $cfg.Path -Name stopping | Out-Null
        Send-TestMail $cfg 'bob@example.test' 'carol@remote.test'
        Send-TestMail $cfg 'promo@spam.test' 'dave@remote.test'
        Wait-Until { @(Get-MailQueue -Server stopping -Queue deferred).Count -eq 2 } 'both are deferred'
        Stop-MailServer -Name stopping

        @(Get-MailQueue -ConfigPath $cfg.Path).Count | Should -Be 2
        Get-MailQueue -ConfigPath $cfg.Path -Sender *@spam.test | Remove-MailQueueMessage -Confirm:$false
        $held = Get-MailQueue -ConfigPath $cfg.Path | Suspend-MailQueueMessage -PassThru
        $held.QueueName | Should -Be 'hold'
        (Get-MailQueue -ConfigPath $cfg.Path).QueueId | Should -Be $held.QueueId
        (Get-Content (Join-Path $cfg.Dir 'logs/mail.log') -Raw) | Should -Match "postsuper\[$PID\]: $($held.QueueId): placed on hold"
    }
}
