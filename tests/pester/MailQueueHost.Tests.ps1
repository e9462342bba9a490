# The queue cmdlets on a real fleet: two private Postfix instances, each the default Postfix (MAIL_CONFIG) of its own
# sshd "host" (127.0.0.1 and 127.0.0.2), with mail deferred because their relay host is a port nothing listens on.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestPostfix.psm1') -Force
    $pfA = Start-TestPostfix -Hostname a.test
    $pfB = Start-TestPostfix -Hostname b.test
    $sshA = Start-TestSsh -Address 127.0.0.1 -ExtraConfig "SetEnv MAIL_CONFIG=$($pfA.Conf)"
    $sshB = Start-TestSsh -Address 127.0.0.2 -ExtraConfig "SetEnv MAIL_CONFIG=$($pfB.Conf)"
    Copy-Item "$($sshA.ClientKey).pub" (Join-Path $sshB.Directory 'authorized_keys') -Force
    $knownHosts = Join-Path $sshA.Directory 'fleet_known_hosts'
    @(Get-Content $sshA.KnownHosts) + @(Get-Content $sshB.KnownHosts) | Set-Content $knownHosts
    $connect = @{ KeyFilePath = $sshA.ClientKey; KnownHostsPath = $knownHosts; UserName = 'root' }
    $a = New-MailHostSession -HostName 127.0.0.1 -Port $sshA.Port @connect
    $b = New-MailHostSession -HostName 127.0.0.2 -Port $sshB.Port @connect
    $fleet = $a, $b
}

AfterAll {
    Get-MailHostSession | Remove-MailHostSession
    Stop-TestSsh $sshA
    Stop-TestSsh $sshB
    Stop-TestPostfix $pfA
    Stop-TestPostfix $pfB
}

Describe 'The queue cmdlets on Postfix hosts over SSH' {
    BeforeEach {
        foreach ($pf in $pfA, $pfB) { & postsuper -c $pf.Conf -d ALL 2>&1 | Out-Null }
        Send-TestPostfixMail $pfA -From promo@spam.test -To x@remote.test
        Send-TestPostfixMail $pfA -From alice@a.test -To y@remote.test -Subject 'Quarterly report' -Body 'The numbers are in.'
        Send-TestPostfixMail $pfB -From offer@spam.test -To z@remote.test
        Send-TestPostfixMail $pfB -From deals@spam.test -To w@remote.test
        Send-TestPostfixMail $pfB -From bob@b.test -To v@remote.test
        Wait-TestPostfixDeferred $pfA 2
        Wait-TestPostfixDeferred $pfB 3
    }

    It 'lists both hosts in one call, each message with its host, as many as postqueue -j gives there' {
        $all = @(Get-MailQueue -Session $fleet)
        $all | Should -BeOfType ([MailOps.Queue.MailQueueMessage])
        @($all | Where-Object ComputerName -eq '127.0.0.1').Count | Should -Be (Get-TestPostfixQueue $pfA).Count
        @($all | Where-Object ComputerName -eq '127.0.0.2').Count | Should -Be (Get-TestPostfixQueue $pfB).Count
        ($all | Where-Object ComputerName -eq '127.0.0.1').QueueId | Sort-Object | Should -Be ((Get-TestPostfixQueue $pfA).queue_id | Sort-Object)
        ($all | Where-Object Sender -eq 'bob@b.test').ComputerName | Should -Be '127.0.0.2'
        $all.QueueName | Select-Object -Unique | Should -Be 'deferred'
        ($all | Where-Object Sender -eq 'alice@a.test').Recipients[0].DelayReason | Should -BeLike '*Connection refused*'
    }

    It 'deletes exactly the spam senders mail on each host and nothing else' {
        Get-MailQueue -Session $fleet -Sender *@spam.test | Remove-MailQueueMessage -Confirm:$false
        (Get-TestPostfixQueue $pfA).sender | Should -Be 'alice@a.test'
        (Get-TestPostfixQueue $pfB).sender | Should -Be 'bob@b.test'
    }

    It 'never sends a message to another host than the one it was listed on' {
        $fromA = Get-MailQueue -Session $a -Sender promo@spam.test
        $fromA | Remove-MailQueueMessage -Session $b -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MailHostSessionNotFound,*'
        (Get-TestPostfixQueue $pfA).Count | Should -Be 2
        (Get-TestPostfixQueue $pfB).Count | Should -Be 3
    }

    It 'holds messages (postqueue -j says hold) and releases them back to the queue' {
        Get-MailQueue -Session $fleet -Sender *@spam.test | Suspend-MailQueueMessage
        @(Get-TestPostfixQueue $pfB | Where-Object queue_name -eq 'hold').sender | Sort-Object | Should -Be 'deals@spam.test', 'offer@spam.test'
        (Get-TestPostfixQueue $pfA | Where-Object sender -eq 'promo@spam.test').queue_name | Should -Be 'hold'
        (Get-TestPostfixQueue $pfA | Where-Object sender -eq 'alice@a.test').queue_name | Should -Be 'deferred'
        $released = @(Get-MailQueue -Session $fleet -Queue hold | Resume-MailQueueMessage -PassThru)
        $released.Count | Should -Be 3
        $released.QueueName | Should -Not -Contain 'hold'
        @(Get-TestPostfixQueue $pfA) + @(Get-TestPostfixQueue $pfB) | Where-Object queue_name -eq 'hold' | Should -BeNullOrEmpty
    }

    It 'flushes to a relay host that now accepts, and the mail is delivered' {
        $sinkDir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('mailops-pester-sink-' + [guid]::NewGuid().ToString('N').Substring(0, 8)))
        $sink = Start-Process smtp-sink -ArgumentList '-u', 'root', '-d', "$sinkDir/", "127.0.0.1:$($pfB.RelayPort)", '100' -PassThru
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ($true) {
                $tcp = [Net.Sockets.TcpClient]::new()
                try { $tcp.Connect('127.0.0.1', $pfB.RelayPort); break } catch { if ([DateTime]::UtcNow -gt $deadline) { throw } ; Start-Sleep -Milliseconds 100 } finally { $tcp.Dispose() }
            }
            Send-MailQueue -Session $b
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ((Get-TestPostfixQueue $pfB).Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            (Get-TestPostfixQueue $pfB).Count | Should -Be 0
            @(Get-ChildItem $sinkDir -File).Count | Should -Be 3
            (Get-TestPostfixQueue $pfA).Count | Should -Be 2
        }
        finally { $sink.Kill(); $sink.WaitForExit(); Remove-Item $sinkDir -Recurse -Force }
    }

    It 'refuses an injection-shaped queue ID before anything runs' {
        $marker = Join-Path $sshA.Directory 'injected'
        $id = (Get-TestPostfixQueue $pfA)[0].queue_id
        foreach ($bad in "$id; touch $marker", "`$(touch $marker)", "$id'; touch '$marker", 'ALL', "$id`n") {
            Remove-MailQueueMessage -Session $a -QueueId $bad -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'MailQueueIdInvalid,*'
            Get-MailQueueMessage -Session $a -QueueId $bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        $marker | Should -Not -Exist
        (Get-TestPostfixQueue $pfA).Count | Should -Be 2
    }

    It 'gives an error record for a host that is down while the other host is listed' {
        $sshC = Start-TestSsh -Address 127.0.0.3 -ExtraConfig "SetEnv MAIL_CONFIG=$($pfA.Conf)"
        try {
            Copy-Item "$($sshA.ClientKey).pub" (Join-Path $sshC.Directory 'authorized_keys') -Force
            $c = New-MailHostSession -HostName 127.0.0.3 -Port $sshC.Port -KeyFilePath $sshA.ClientKey -KnownHostsPath $sshC.KnownHosts -UserName root
            Stop-TestSsh $sshC
            $listed = @(Get-MailQueue -Session $c, $b -ErrorVariable failed -ErrorAction SilentlyContinue)
            $listed.Count | Should -Be 3
            $listed.ComputerName | Select-Object -Unique | Should -Be '127.0.0.2'
            @($failed).Count | Should -Be 1
            $failed[0].TargetObject.ComputerName | Should -Be '127.0.0.3'
        }
        finally { Stop-TestSsh $sshC }
    }

    It 'changes nothing with -WhatIf' {
        Get-MailQueue -Session $fleet | Remove-MailQueueMessage -WhatIf
        Get-MailQueue -Session $fleet | Suspend-MailQueueMessage -WhatIf
        Send-MailQueue -Session $fleet -WhatIf
        (Get-TestPostfixQueue $pfA).Count | Should -Be 2
        (Get-TestPostfixQueue $pfB).Count | Should -Be 3
        (@(Get-TestPostfixQueue $pfA) + @(Get-TestPostfixQueue $pfB)).queue_name | Select-Object -Unique | Should -Be 'deferred'
    }

    It 'shows the envelope, headers and body postcat reads, as they were sent' {
        $content = Get-MailQueue -Session $fleet -Sender alice@a.test | Get-MailQueueMessage
        $content | Should -BeOfType ([MailOps.Queue.MailQueueMessageContent])
        $content.ComputerName | Should -Be '127.0.0.1'
        $content.Sender | Should -Be 'alice@a.test'
        $content.Recipients | Should -Be 'y@remote.test'
        $content.Subject | Should -Be 'Quarterly report'
        $content.Body.Trim() | Should -Be 'The numbers are in.'
        ($content.Headers | Where-Object Field -eq 'To').Value.Trim() | Should -Be 'y@remote.test'
        ($content | Format-List | Out-String) | Should -BeLike '*Quarterly report*'
    }

    It 'works on this machine''s Postfix without a session (-ConfigDirectory, -Postfix), and its messages pipe back to it' {
        $local = @(Get-MailQueue -ConfigDirectory $pfB.Conf)
        $local.Count | Should -Be 3
        $local.ComputerName | Select-Object -Unique | Should -Be ([Environment]::MachineName)
        $local | Where-Object Sender -like '*@spam.test' | Remove-MailQueueMessage -Confirm:$false
        (Get-TestPostfixQueue $pfB).sender | Should -Be 'bob@b.test'
        (Get-TestPostfixQueue $pfA).Count | Should -Be 2
        $env:MAIL_CONFIG = $pfA.Conf
        try { @(Get-MailQueue -Postfix -Sender alice@a.test).Count | Should -Be 1 }
        finally { Remove-Item Env:MAIL_CONFIG }
    }

    It 'refuses -NotifySender on Postfix and deletes nothing' {
        Get-MailQueue -Session $a | Remove-MailQueueMessage -NotifySender -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MailQueueNotifySenderNotSupported,*'
        (Get-TestPostfixQueue $pfA).Count | Should -Be 2
    }
}
