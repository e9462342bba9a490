# Get-MailLog, Trace-MailMessage and Get-MailLogSummary as an admin uses them: on the sample logs captured from real
# Postfix and Dovecot (module/samples), on rotated and gzip files, and on the log of a running bundled server.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    $samples = Join-Path $root 'module/samples'
    Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1')
}

Describe 'Get-MailLog' {
    It 'returns typed entries that a filter on status narrows to the failed deliveries' {
        $all = Get-MailLog -Path "$samples/postfix-mx1.log"
        $all.Count | Should -Be (Get-Content "$samples/postfix-mx1.log").Count
        $failed = Get-MailLog -Path "$samples/postfix-mx1.log" -Status Bounced, Deferred
        $failed | Should -Not -BeNullOrEmpty
        $failed | ForEach-Object { $_ | Should -BeOfType ([MailOps.Logs.MailLogDeliveryEntry]); $_.Status | Should -BeIn 'Bounced', 'Deferred' }
        ($failed | Where-Object Status -eq Bounced).Recipient | Sort-Object | Should -Be @('ghost@far.test', 'x@sink.test')
    }

    It 'takes files from Get-ChildItem and reads a gzip rotation before the current file' {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('maillog-' + [guid]::NewGuid().ToString('N')))
        try {
            $lines = Get-Content "$samples/postfix-mx2.log"
            Set-Content "$dir/mail.log" $lines[8..($lines.Count - 1)]
            $file = [IO.File]::Create("$dir/mail.log.1.gz")
            $gzip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionLevel]::Fastest)
            $bytes = [Text.Encoding]::UTF8.GetBytes(($lines[0..7] -join "`n") + "`n")
            $gzip.Write($bytes, 0, $bytes.Length); $gzip.Dispose(); $file.Dispose()
            $entries = Get-ChildItem $dir | Get-MailLog
            $entries.Count | Should -Be $lines.Count
            $entries[0].Source | Should -BeLike '*mail.log.1.gz'
            $entries[-1].Source | Should -BeLike '*mail.log'
            ($entries | ForEach-Object { "$($_.HostName) $($_.Program)[$($_.Pid)]: $($_.Text)" }) | Should -Be ($lines | ForEach-Object { $_.Substring(16) })
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'writes MailLogNotFound for a path that names nothing and still reads the others' {
        $entries = Get-MailLog -Path "$samples/no-such.log", "$samples/postfix-mx2.log" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.FullyQualifiedErrorId | Should -Be 'MailLogNotFound,MailOps.PowerShell.GetMailLogCommand'
        $entries.Count | Should -Be (Get-Content "$samples/postfix-mx2.log").Count
    }
}

Describe 'Trace-MailMessage' {
    It 'follows a message relayed from mx1 to mx2 and one handed to Dovecot LMTP' {
        $relayed = Trace-MailMessage -MessageId m3@example.org -Path "$samples/postfix-mx1.log", "$samples/postfix-mx2.log"
        $relayed.Hops.HostName | Should -Be @('mx1', 'mx2')
        $relayed.Recipients.Recipient | Should -Be 'zoe@far.test'
        $relayed.Recipients.HostName | Should -Be 'mx2'
        $relayed.Status | Should -Be 'Sent'
        $lmtp = Trace-MailMessage -Recipient carol@lmtp.test -Path "$samples/postfix-mx1.log", "$samples/dovecot.log"
        $lmtp.Recipients.Mailbox | Should -Be @('INBOX', 'INBOX')
    }

    It 'takes the queue id of a Get-MailLog entry from the pipeline' {
        $trace = Get-MailLog -Path "$samples/postfix-mx1.log" -Status Deferred -Recipient y@dead.test | Select-Object -First 1 |
            Trace-MailMessage -Path "$samples/postfix-mx1.log"
        $trace.Status | Should -Be 'Deferred'
        $trace.Recipients.Attempts | Should -Be 2
    }

    It 'says MailMessageNotInLog when nothing matches' {
        { Trace-MailMessage -MessageId nothing@nowhere -Path "$samples/postfix-mx1.log" -ErrorAction Stop } |
            Should -Throw -ErrorId 'MailMessageNotInLog,MailOps.PowerShell.TraceMailMessageCommand'
    }
}

Describe 'Get-MailLogSummary' {
    It 'counts what the sample log shows, as pflogsumm does' {
        $summary = Get-MailLogSummary -Path "$samples/postfix-mx1.log"
        $summary | Should -BeOfType ([MailOps.Logs.MailLogSummary])
        $summary.Received | Should -Be 12
        $summary.Forwarded | Should -Be 1
        $summary.Bounced | Should -Be 2
        $summary.Held | Should -Be 1
        ($summary.Rejects | Where-Object Reason -eq 'Relay access denied').Count | Should -Be 1
    }
}

Describe 'The bundled server''s log' {
    BeforeAll {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('srvlog-' + [guid]::NewGuid().ToString('N')))
        $config = New-MailServerConfig (Join-Path $dir 'server.jsonc') -DataPath $dir -Hostname mx.example.test
        $ports = 1..3 | ForEach-Object { Get-FreePort }
        (Get-Content $config -Raw) -replace '"localhost.localdomain"', '"example.test"' -replace ':2525', ":$($ports[0])" -replace ':2587', ":$($ports[1])" -replace ':2465', ":$($ports[2])" |
            Set-Content $config
        Start-MailServer -ConfigPath $config -Name pester-log | Out-Null
        New-MailUser -Address alice@example.test -Password (ConvertTo-SecureString 'pw' -AsPlainText -Force) -ConfigPath $config | Out-Null
        swaks --server "127.0.0.1:$($ports[0])" --from bob@remote.test --to alice@example.test --header 'Message-Id: <pester-1@remote.test>' --silent 2 | Out-Null
        swaks --server "127.0.0.1:$($ports[0])" --from bob@remote.test --to ghost@example.test --silent 2 | Out-Null
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ((Get-MailServer -Name pester-log).Delivered -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Start-Sleep -Milliseconds 300
    }
    AfterAll {
        Get-MailServer -Name pester-log -ErrorAction SilentlyContinue | Stop-MailServer -GraceSeconds 1
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'is read with -ConfigPath by the same cmdlets' {
        $delivery = Get-MailLog -ConfigPath $config -Status Sent
        $delivery.Recipient | Should -Be 'alice@example.test'
        $delivery.Program | Should -Be 'mailops/virtual'
        (Get-MailLog -ConfigPath $config -Recipient ghost@example.test).Stage | Should -Be 'RCPT'
        $trace = Trace-MailMessage -MessageId pester-1@remote.test -ConfigPath $config
        $trace.Sender | Should -Be 'bob@remote.test'
        $trace.Recipients.Status | Should -Be 'Sent'
        $summary = Get-MailLogSummary -ConfigPath $config
        $summary.Received | Should -Be 1
        $summary.Delivered | Should -Be 1
        $summary.Rejected | Should -Be 1
    }
}
