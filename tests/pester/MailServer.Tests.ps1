# Start-MailServer, Get-MailServer and Stop-MailServer as a user meets them in pwsh.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1')
    function New-TestConfig([string] $Dir) {
        $config = New-MailServerConfig (Join-Path $Dir 'server.jsonc') -DataPath $Dir -Hostname mx.example.test
        $ports = 1..7 | ForEach-Object { Get-FreePort }
        (Get-Content $config -Raw) -replace '"localhost.localdomain"', '"example.test"' -replace ':2525', ":$($ports[0])" -replace ':2587', ":$($ports[1])" -replace ':2465', ":$($ports[2])" -replace ':2110', ":$($ports[3])" -replace ':2995', ":$($ports[4])" -replace ':2143', ":$($ports[5])" -replace ':2993', ":$($ports[6])" |
            Set-Content $config
        [pscustomobject]@{ Path = $config.FullName; SmtpPort = $ports[0]; Pop3Port = $ports[3]; Pop3TlsPort = $ports[4]; ImapPort = $ports[5]; ImapTlsPort = $ports[6] }
    }
}

Describe 'Start-MailServer, Get-MailServer, Stop-MailServer' {
    BeforeEach { $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('srv-' + [guid]::NewGuid().ToString('N'))) }
    AfterEach {
        Get-MailServer | Stop-MailServer -GraceSeconds 1
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'starts from a config file, prints its endpoints and how to add a user, counts and delivers, then stops' {
        $cfg = New-TestConfig $dir
        $server = Start-MailServer -ConfigPath $cfg.Path -Name pester -InformationVariable info
        $server | Should -BeOfType ([MailOps.Engine.MailServer])
        $server.Endpoints.Count | Should -Be 7
        ($info.MessageData.Message -join "`n") | Should -Match "SMTP\s+127\.0\.0\.1:$($cfg.SmtpPort)"
        ($info.MessageData.Message -join "`n") | Should -Match "POP3\s+127\.0\.0\.1:$($cfg.Pop3Port)"
        ($info.MessageData.Message -join "`n") | Should -Match "POP3S\s+127\.0\.0\.1:$($cfg.Pop3TlsPort)"
        ($info.MessageData.Message -join "`n") | Should -Match "IMAP\s+127\.0\.0\.1:$($cfg.ImapPort)"
        ($info.MessageData.Message -join "`n") | Should -Match "IMAPS\s+127\.0\.0\.1:$($cfg.ImapTlsPort)"
        ($info.MessageData.Message -join "`n") | Should -Match 'New-MailUser -Address alice@example\.test'
        New-MailUser -Address alice@example.test -Password (ConvertTo-SecureString 'pw' -AsPlainText -Force) -ConfigPath $cfg.Path | Out-Null
        swaks --server "127.0.0.1:$($cfg.SmtpPort)" --from bob@remote.test --to alice@example.test --silent 2 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ((Get-MailServer -Name pester).Delivered -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $running = Get-MailServer -Name pester
        $running.MessagesQueued | Should -Be 1
        $running.Delivered | Should -Be 1
        $running.Connections | Should -BeGreaterOrEqual 1
        @(Get-ChildItem (Join-Path $dir 'mail/example.test/alice/Maildir/new')).Count | Should -Be 1
        # The user reads it over POP3 (STLS, the self-signed certificate) and over POP3S.
        $list = curl -sS -k --ssl-reqd -u 'alice@example.test:pw' "pop3://127.0.0.1:$($cfg.Pop3Port)/"
        $LASTEXITCODE | Should -Be 0
        @($list).Count | Should -Be 1
        (curl -sS -k -u 'alice@example.test:pw' "pop3s://127.0.0.1:$($cfg.Pop3TlsPort)/1") -join "`n" | Should -Match 'Received: from'
        # And over IMAP (STARTTLS) and IMAPS.
        (curl -sS -k --ssl-reqd -u 'alice@example.test:pw' -X 'UID SEARCH ALL' "imap://127.0.0.1:$($cfg.ImapPort)/INBOX") -join "`n" | Should -Match '^\* SEARCH 1'
        (curl -sS -k -u 'alice@example.test:pw' "imaps://127.0.0.1:$($cfg.ImapTlsPort)/INBOX;UID=1") -join "`n" | Should -Match 'Received: from'
        $stopped = Get-MailServer -Name pester | Stop-MailServer -PassThru
        $stopped.IsRunning | Should -BeFalse
        Get-MailServer -Name pester -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { [Net.Sockets.TcpClient]::new('127.0.0.1', $cfg.SmtpPort) } | Should -Throw
    }

    It 'refuses a second server of the same name with MailServerExists' {
        $cfg = New-TestConfig $dir
        Start-MailServer -ConfigPath $cfg.Path -Name twice | Out-Null
        { Start-MailServer -ConfigPath $cfg.Path -Name twice -ErrorAction Stop } | Should -Throw -ErrorId 'MailServerExists,MailOps.PowerShell.StartMailServerCommand'
    }

    It 'refuses a wrong configuration with every mistake and starts nothing' {
        $path = Join-Path $dir 'bad.jsonc'
        Set-Content $path '{ "domains": [ "example..test" ], "listeners": [ { "kind": "Mta", "address": "127.0.0.1:70000" } ] }'
        $err = { Start-MailServer -ConfigPath $path -Name bad -ErrorAction Stop } | Should -Throw -ErrorId 'MailServerConfigInvalid,MailOps.PowerShell.StartMailServerCommand' -PassThru
        $err.Exception.Message | Should -Match 'domains\[0\]'
        $err.Exception.Message | Should -Match 'listeners\[0\]\.address'
        Get-MailServer -Name bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports a port in use as MailServerStartFailed and leaves nothing running' {
        $cfg = New-TestConfig $dir
        $busy = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, $cfg.SmtpPort)
        $busy.Start()
        try {
            { Start-MailServer -ConfigPath $cfg.Path -Name busy -ErrorAction Stop } | Should -Throw -ErrorId 'MailServerStartFailed,MailOps.PowerShell.StartMailServerCommand'
            Get-MailServer -Name busy -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally { $busy.Stop() }
    }

    It 'reports a server that is not running as MailServerNotFound and stops the others given' {
        $cfg = New-TestConfig $dir
        Start-MailServer -ConfigPath $cfg.Path -Name real | Out-Null
        Stop-MailServer -Name nosuch, real -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailServerNotFound,*'
        Get-MailServer -Name real -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
